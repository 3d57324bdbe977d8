// Reading openIMIS Claims: where each key comes from, and the line codes matched against exclusions.
import { readFileSync } from 'node:fs';
import type { Claim, ClaimItem } from '@medplum/fhirtypes';
import { readClaim } from './claim-input.js';
import { CLAIM_ITEM_REFERENCE_URL } from './codes.js';

function covered(): Claim {
  return JSON.parse(readFileSync(new URL('../fixtures/openimis/claim-covered-insuree.json', import.meta.url), 'utf8')) as Claim;
}

function line(reference: object, extra: Partial<ClaimItem> = {}): ClaimItem {
  return {
    sequence: 1,
    extension: [{ url: CLAIM_ITEM_REFERENCE_URL, valueReference: reference }],
    category: { text: 'item' },
    productOrService: {},
    quantity: { value: 1 },
    unitPrice: { value: 100 },
    ...extra,
  };
}

describe('reading an openIMIS Claim', () => {
  test('the covered-insuree fixture gives its keys and lines, in the order received', () => {
    const { claim, issues } = readClaim(covered());

    expect(issues).toEqual([]);
    expect(claim).toMatchObject({ code: 'CLM00081', chfId: '070707081', healthFacilityCode: 'HF000123', visitType: 'O', serviceDate: '2025-03-14' });
    expect(claim?.lines.map((l) => [l.kind, l.code, l.quantity, l.unitPrice])).toEqual([
      ['service', 'CONS01', 1, 15000],
      ['item', 'PHA01', 4, 2500],
    ]);
  });

  test.each([
    ['productOrService.coding[].code first', line({ type: 'Medication', identifier: { value: 'REF' } }, { productOrService: { coding: [{ system: 'x' }, { code: 'CODED' }], text: 'TEXT' } }), 'CODED'],
    ['then productOrService.text', line({ type: 'Medication', identifier: { value: 'REF' } }, { productOrService: { text: 'TEXT' } }), 'TEXT'],
    ['then the reference identifier', line({ type: 'Medication', identifier: { value: 'REF' } }), 'REF'],
    ['then the id of a typed reference', line({ reference: 'Medication/PHA02' }), 'PHA02'],
  ])('a line code comes from %s', (_name, item, code) => {
    const claim = { ...covered(), item: [item] };
    expect(readClaim(claim).claim?.lines.map((l) => [l.kind, l.code])).toEqual([['item', code]]);
  });

  test('an ActivityDefinition reference with category "item" is refused; a line without any code too', () => {
    const claim = { ...covered(), item: [line({ reference: 'ActivityDefinition/CONS01' }), line({ type: 'Medication' })] };
    expect(readClaim(claim).issues.map((i) => i.expression?.[0])).toEqual(['Claim.item[0].category', 'Claim.item[1].productOrService']);
  });

  test.each(['2025-02-30', '2025-13-01', '2025-3-14', ''])('billablePeriod.start %j is not a date', (start) => {
    const claim = { ...covered(), billablePeriod: { start } };
    expect(readClaim(claim).issues.map((i) => [i.code, i.expression?.[0]])).toEqual([['invalid', 'Claim.billablePeriod.start']]);
  });

  test('keys found are returned even when other problems are found, so the face can report them all', () => {
    const claim = { ...covered(), billablePeriod: { start: '14/03/2025' } };
    const reading = readClaim(claim);
    expect(reading.claim).toBeUndefined();
    expect(reading).toMatchObject({ code: 'CLM00081', chfId: '070707081', healthFacilityCode: 'HF000123' });
    expect(reading.issues.map((i) => [i.code, i.expression?.[0]])).toEqual([['invalid', 'Claim.billablePeriod.start']]);
  });

  test('the patient and provider identifier type is compared case-insensitively, the claim code type is not', () => {
    const claim = covered();
    claim.patient.identifier = { type: { coding: [{ code: 'code' }] }, value: '070707081' };
    claim.identifier = [{ type: { coding: [{ code: 'code' }] }, value: 'CLM00081' }];
    expect(readClaim(claim).issues.map((i) => i.expression?.[0])).toEqual(['Claim.identifier']);
  });
});
