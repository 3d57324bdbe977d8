/**
 * The IPM JSON example, both ways, against golden files: the covered member's claim → the request the
 * sandbox's IPM API takes; the IPM's replies → ClaimResponses. Plus the issues a claim the IPM cannot
 * take gives, and the replies that cannot be read.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { loadMappingSpec } from './load-spec.js';
import { mapClaim } from './map-claim.js';
import { mapReply } from './map-reply.js';
import { ReplyError } from './reply-error.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = `${ROOT}mappings/examples/golden/`;
const CLAIM_ID = '7d4a1c2e-5b3f-4e8a-9c61-2f0b8d3e4a51';
const CONTEXT = { claimId: CLAIM_ID, providerId: 'demo-clinic', insurerId: 'demo-insurer', settings: { memberSystem: 'urn:passerelle:demo-insurer:member' } };
const spec = loadMappingSpec('examples/ipm-json.mapping.json');

function bundle(): Bundle {
  return JSON.parse(readFileSync(`${ROOT}test/fixtures/claim-bundle-covered-member.json`, 'utf8').replaceAll('TODAY', '2026-03-14')) as Bundle;
}
const claimOf = (b: Bundle) => b.entry![0]!.resource as Claim;
const golden = (name: string): unknown => JSON.parse(readFileSync(`${GOLDEN}${name}`, 'utf8'));

describe('ipm-json: claim → request', () => {
  it('maps the covered member claim to the golden request, without issues', () => {
    const { record, issues } = mapClaim(spec, bundle(), CONTEXT);
    expect(issues).toEqual([]);
    expect(record).toEqual(golden('ipm-json.request.json'));
    expect(Object.keys(record)).toEqual(['claimRef', 'providerCode', 'memberNumber', 'visitDate', 'lines', 'totalAmount']);
  });

  it('carries a diagnosis, the quantity, and the Patient member number when the Coverage has none', () => {
    const b = bundle();
    const claim = claimOf(b);
    claim.diagnosis = [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J06.9' }] } }];
    claim.item![1]!.quantity = { value: 2 };
    claim.item![1]!.net = { value: 16000, currency: 'XOF' };
    delete (b.entry![2]!.resource as { identifier?: unknown }).identifier;
    const { record, issues } = mapClaim(spec, b, CONTEXT);
    expect(issues).toEqual([]);
    expect(record).toMatchObject({ memberNumber: 'M0001', diagnosisCode: 'J06.9', lines: [{ quantity: 1 }, { quantity: 2, unitPrice: 8000, amount: 16000 }] });
  });
});

describe('ipm-json: claim issues', () => {
  it('reports careTeam and an item modifier as unsupported, with their expressions', () => {
    const b = bundle();
    const claim = claimOf(b);
    claim.careTeam = [{ sequence: 1, provider: { reference: 'Practitioner/dr-sow' } }];
    claim.item![1]!.modifier = [{ coding: [{ system: 'urn:x', code: 'NIGHT' }] }];
    const { issues } = mapClaim(spec, b, CONTEXT);
    expect(issues.map((i) => [i.code, i.expression])).toEqual([
      ['mapping-unsupported-element', 'Claim.item[1].modifier'],
      ['mapping-unsupported-element', 'Claim.careTeam'],
    ]);
    expect(issues[0]!.message.en).toBe('IPM Démo does not take Claim.item.modifier: send the claim without it or ask the insurer');
  });

  it('reports a missing member number', () => {
    const b = bundle();
    delete (b.entry![1]!.resource as { identifier?: unknown }).identifier;
    delete (b.entry![2]!.resource as { identifier?: unknown }).identifier;
    expect(mapClaim(spec, b, CONTEXT).issues).toEqual([
      { code: 'mapping-required-missing', expression: 'Coverage.identifier', message: { en: 'IPM Démo needs memberNumber and the claim gives none', fr: expect.any(String) } },
    ]);
  });

  it('reports an act code outside the tariff system on its item', () => {
    const b = bundle();
    claimOf(b).item![1]!.productOrService = { coding: [{ system: 'http://snomed.info/sct', code: '11429006' }] };
    expect(mapClaim(spec, b, CONTEXT).issues).toEqual([
      { code: 'mapping-required-missing', expression: 'Claim.item[1].productOrService', message: { en: 'IPM Démo needs actCode of Claim.item[1] and the claim gives none', fr: 'IPM Démo exige une valeur pour actCode de Claim.item[1], que la demande ne donne pas' } },
    ]);
  });

  it('reports a member number too long without quoting it', () => {
    const b = bundle();
    (b.entry![2]!.resource as { identifier: Array<{ value: string }> }).identifier[0]!.value = 'M00012345678901234567';
    const issues = mapClaim(spec, b, CONTEXT).issues;
    expect(issues).toEqual([{ code: 'mapping-value-invalid', expression: 'Coverage.identifier', message: { en: 'memberNumber is 21 characters long, IPM Démo takes at most 20', fr: expect.any(String) } }]);
    expect(JSON.stringify(issues)).not.toContain('M0001234');
  });

  it('reports two diagnoses, a diagnosis without ICD-10 code, and amounts in another currency', () => {
    const b = bundle();
    const claim = claimOf(b);
    claim.diagnosis = [
      { sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J06.9' }] } },
      { sequence: 2, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'R50.9' }] } },
    ];
    claim.total = { value: 23000, currency: 'EUR' };
    expect(mapClaim(spec, b, CONTEXT).issues.map((i) => [i.code, i.expression, i.message.en])).toEqual([
      ['mapping-value-invalid', 'Claim.total.currency', 'IPM Démo takes amounts in XOF only; this amount is in EUR'],
      ['mapping-value-invalid', 'Claim.diagnosis', 'diagnosisCode has 2 values in the claim and IPM Démo takes one'],
    ]);
    claim.diagnosis = [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'urn:local', code: 'FEVER' }] } }];
    claim.total = { value: 23000, currency: 'XOF' };
    expect(mapClaim(spec, b, CONTEXT).issues.map((i) => i.code)).toEqual(['mapping-required-missing']);
  });

  it('reports an amount that is not whole francs', () => {
    const b = bundle();
    claimOf(b).item![0]!.net = { value: 15000.5, currency: 'XOF' };
    expect(mapClaim(spec, b, CONTEXT).issues).toEqual([
      { code: 'mapping-value-invalid', expression: 'Claim.item[0].net', message: { en: 'amount of Claim.item[0] is not a whole number as IPM Démo takes it', fr: expect.any(String) } },
    ]);
  });
});

describe('ipm-json: reply → ClaimResponse', () => {
  it.each(['accepted', 'partial', 'rejected', 'pending'])('maps the %s reply to the golden ClaimResponse', (kind) => {
    const mapped = mapReply(spec, golden(`ipm-json.reply-${kind}.json`), claimOf(bundle()), { claimId: CLAIM_ID });
    expect(Number.isNaN(Date.parse(mapped.claimResponse.created))).toBe(false);
    expect({ ...mapped, claimResponse: { ...mapped.claimResponse, created: '<created>' } }).toEqual(golden(`ipm-json.response-${kind}.json`));
  });

  it('round-trips: a reply built from the request maps back onto the claim\'s sequences and amounts', () => {
    const claim = claimOf(bundle());
    const { record } = mapClaim(spec, bundle(), CONTEXT);
    const lines = record.lines as Array<{ lineNo: number; amount: number }>;
    const reply = {
      claimRef: record.claimRef, ipmRef: 'IPM-1', status: 'ACCEPTED', message: 'OK',
      lines: lines.map((l) => ({ lineNo: l.lineNo, amountClaimed: l.amount, amountCovered: l.amount * 0.8, patientShare: l.amount * 0.2, rejectCode: null, rejectLabel: null })),
      totals: { claimed: record.totalAmount, covered: (record.totalAmount as number) * 0.8 }, errors: [],
    };
    const { claimId, claimResponse } = mapReply(spec, reply, claim, { claimId: CLAIM_ID });
    expect(claimId).toBe(CLAIM_ID);
    const submitted = claimResponse.item!.map((i) => [i.itemSequence, i.adjudication.find((a) => a.category.coding![0]!.code === 'submitted')!.amount!.value]);
    expect(submitted).toEqual(claim.item!.map((i) => [i.sequence, i.net!.value]));
    expect(claimResponse.payment!.amount!.value).toBe(18400);
  });

  it.each([
    ['that is text, not JSON', '<html>maintenance</html>', /the reply of IPM Démo is not a JSON object/],
    ['that is not an object', ['a list'], /is not a JSON object/],
    ['missing its status', { claimRef: CLAIM_ID, lines: [] }, /the outcome \(status\) is missing from the reply/],
    ['with an unknown status', { claimRef: CLAIM_ID, status: 'LOST' }, /the reply's outcome "LOST" is not in the mapping's table \(ACCEPTED, PARTIAL, REJECTED, PENDING\)/],
    ['about another claim', { claimRef: 'someone-else', status: 'ACCEPTED' }, /the insurer answered about another claim/],
    ['with a line for an unknown sequence', { claimRef: CLAIM_ID, status: 'ACCEPTED', lines: [{ lineNo: 9, amountClaimed: 1 }] }, /is for item 9, which the claim does not have/],
    ['with two lines for one item', { claimRef: CLAIM_ID, status: 'ACCEPTED', lines: [{ lineNo: 1, amountClaimed: 1 }, { lineNo: 1, amountClaimed: 1 }] }, /two lines for item 1/],
    ['with an amount that is not a number', { claimRef: CLAIM_ID, status: 'ACCEPTED', lines: [{ lineNo: 1, amountClaimed: 'lots' }] }, /the submitted amount \(amountClaimed\) of line 1 of the reply \(lines\) is not a number/],
    ['with an error without code', { claimRef: CLAIM_ID, status: 'REJECTED', errors: [{ label: 'no' }] }, /the code \(code\) of error 1 of the reply \(errors\) is missing/],
  ])('refuses a reply %s', (_what, reply, message) => {
    const map = () => mapReply(spec, reply, claimOf(bundle()), { claimId: CLAIM_ID });
    expect(map).toThrow(ReplyError);
    expect(map).toThrow(message);
  });
});
