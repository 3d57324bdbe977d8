import { readFileSync } from 'node:fs';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import { adjudicateClaim, decideClaim, type AdjudicationInput } from './adjudication.js';
import { findMemberIdentifier } from './bundle-references.js';
import { findMember } from './registry.js';
import { defaultSeedFile, loadSeedFile, type InsurerSeed } from './seed.js';

// Fixtures are dated 2025; the clock is pinned inside that year so "current year" means 2025.
const NOW = new Date('2025-06-15T10:00:00Z');
const seed = loadSeedFile(defaultSeedFile());

function fixture(name: string): Bundle {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Bundle;
}

function insurer(id: string): InsurerSeed {
  const found = seed.insurers.find((i) => i.id === id);
  if (!found) {
    throw new Error(`no insurer ${id} in the demo seed`);
  }
  return found;
}

/** Builds the rules' input the way the server does: member from the Bundle, coverage from the seed. */
function inputFor(bundle: Bundle, insurerId = 'demo-insurer'): AdjudicationInput {
  const claim = bundle.entry?.[0]?.resource as Claim;
  const ins = insurer(insurerId);
  const refs = { coverage: claim.insurance?.[0]?.coverage, patient: claim.patient };
  const memberIdentifier = findMemberIdentifier(bundle, refs, ins.memberSystem);
  const member = memberIdentifier ? findMember(ins, memberIdentifier.value, NOW) : undefined;
  return { claim, insurer: ins, memberIdentifier, member, now: NOW, responseId: 'response-1' };
}

function claimOf(bundle: Bundle): Claim {
  return bundle.entry?.[0]?.resource as Claim;
}

/** Amount of one adjudication category on one item. */
function amount(response: ClaimResponse, itemSequence: number, category: string): number | undefined {
  const item = response.item?.find((i) => i.itemSequence === itemSequence);
  return item?.adjudication.find((a) => a.category.coding?.[0]?.code === category)?.amount?.value;
}

function total(response: ClaimResponse, category: string): number | undefined {
  return response.total?.find((t) => t.category.coding?.[0]?.code === category)?.amount.value;
}

function errorCodes(response: ClaimResponse): (string | undefined)[] {
  return (response.error ?? []).map((e) => e.code.coding?.[0]?.code);
}

describe('adjudication rules', () => {
  test('a covered IPM member gets 80% of each item, the patient pays 20%', () => {
    const bundle = fixture('claim-bundle-covered-member.json');
    const { pended, response } = decideClaim(inputFor(bundle));

    expect(pended).toBe(false);
    expect(response.outcome).toBe('complete');
    expect([amount(response, 1, 'submitted'), amount(response, 1, 'copay'), amount(response, 1, 'benefit')]).toEqual([15000, 3000, 12000]);
    // Item 2 has no net: unitPrice 5000 × quantity 2.
    expect([amount(response, 2, 'submitted'), amount(response, 2, 'copay'), amount(response, 2, 'benefit')]).toEqual([10000, 2000, 8000]);
    expect([total(response, 'submitted'), total(response, 'benefit')]).toEqual([25000, 20000]);
    expect(response.payment?.amount).toEqual({ value: 20000, currency: 'XOF' });
    expect(response.payment?.type?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/ex-paymenttype', code: 'complete' });
    expect(response.error).toBeUndefined();
  });

  test('the ClaimResponse envelope copies the claim and names the insurer', () => {
    const bundle = fixture('claim-bundle-covered-member.json');
    const claim = claimOf(bundle);
    const { response } = decideClaim(inputFor(bundle));

    expect(response).toMatchObject({
      resourceType: 'ClaimResponse',
      id: 'response-1',
      status: 'active',
      type: claim.type,
      use: 'claim',
      patient: { identifier: { system: 'urn:passerelle:demo-insurer:member', value: 'M0042' } },
      created: NOW.toISOString(),
      insurer: { identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } },
      requestor: claim.provider,
      request: { reference: 'Claim/claim-covered-member' },
    });
  });

  test('a mutuelle member gets 50%, found by Coverage.subscriberId through relative references', () => {
    const { response } = decideClaim(inputFor(fixture('claim-bundle-mutuelle-member.json'), 'demo-mutuelle'));

    expect(response.outcome).toBe('complete');
    expect(response.patient.identifier?.value).toBe('C0100');
    // 10001 × 50% = 5000.5: the half franc rounds up to the insurer's benefit.
    expect([amount(response, 1, 'benefit'), amount(response, 1, 'copay')]).toEqual([5001, 5000]);
    expect([amount(response, 2, 'benefit'), amount(response, 2, 'copay')]).toEqual([2000, 2000]);
    expect(total(response, 'benefit')).toBe(7001);
  });

  test('an excluded service is rejected and the claim is partial', () => {
    const { response } = decideClaim(inputFor(fixture('claim-bundle-excluded-service.json')));

    expect(response.outcome).toBe('partial');
    expect(amount(response, 1, 'benefit')).toBe(16000);
    expect(amount(response, 2, 'benefit')).toBe(0);
    const rejected = response.item?.[1]?.adjudication.find((a) => a.category.coding?.[0]?.code === 'benefit');
    expect(rejected?.reason?.coding?.[0]).toMatchObject({ system: 'urn:passerelle:sandbox:adjudication-reason', code: 'excluded-service' });
    expect(response.payment?.amount?.value).toBe(16000);
    expect([total(response, 'submitted'), total(response, 'benefit')]).toEqual([50000, 16000]);
  });

  test('a claim whose items are all excluded is an error with one entry per item', () => {
    const { response } = decideClaim(inputFor(fixture('claim-bundle-all-excluded.json')));

    expect(response.outcome).toBe('error');
    expect(response.error?.map((e) => e.itemSequence)).toEqual([1, 2]);
    expect(errorCodes(response)).toEqual(['excluded-service', 'excluded-service']);
    expect(response.payment).toBeUndefined();
  });

  test('an unknown member is an error with code member-unknown', () => {
    const { pended, response } = decideClaim(inputFor(fixture('claim-bundle-unknown-member.json')));

    expect(pended).toBe(false);
    expect(response.outcome).toBe('error');
    expect(response.error?.[0]?.code.coding?.[0]).toMatchObject({ system: 'urn:passerelle:sandbox:adjudication-error', code: 'member-unknown' });
    expect(response.patient.identifier?.value).toBe('M4321');
    expect(response.item).toBeUndefined();
  });

  test('a claim without any member number copies Claim.patient and is member-unknown', () => {
    const bundle = fixture('claim-bundle-covered-member.json');
    const input = inputFor(bundle, 'demo-mutuelle'); // no demo-mutuelle number anywhere in this Bundle
    const { response } = decideClaim(input);

    expect(input.memberIdentifier).toBeUndefined();
    expect(response.patient).toEqual(claimOf(bundle).patient);
    expect(errorCodes(response)).toEqual(['member-unknown']);
  });

  test('a member whose coverage ended last year is an error with code coverage-inactive', () => {
    const { response } = decideClaim(inputFor(fixture('claim-bundle-lapsed-coverage.json')));

    expect(response.outcome).toBe('error');
    expect(errorCodes(response)).toEqual(['coverage-inactive']);
    expect(response.disposition).toContain('2024-12-31');
  });

  test('coverage is checked on billablePeriod.start first, then the first item date, then created', () => {
    const bundle = fixture('claim-bundle-covered-member.json');
    const claim = claimOf(bundle);
    claim.billablePeriod = { start: '2024-12-31' };
    expect(errorCodes(decideClaim(inputFor(bundle)).response)).toEqual(['coverage-inactive']);

    delete claim.billablePeriod;
    expect(decideClaim(inputFor(bundle)).response.outcome).toBe('complete'); // item date 2025-03-14

    claim.item?.forEach((item) => delete item.servicedDate);
    claim.created = '2026-01-02T08:00:00Z';
    expect(errorCodes(decideClaim(inputFor(bundle)).response)).toEqual(['coverage-inactive']);
  });

  test('a claim above the pend threshold is queued now and adjudicated later', () => {
    const input = inputFor(fixture('claim-bundle-above-pend-threshold.json'));
    const { pended, response } = decideClaim(input);

    expect(pended).toBe(true);
    expect(response.outcome).toBe('queued');
    expect(response.disposition).toMatch(/pended/i);
    expect(total(response, 'submitted')).toBe(650000);
    expect(response.item).toBeUndefined();
    expect(response.payment).toBeUndefined();

    const final = adjudicateClaim(input);
    expect(final.outcome).toBe('complete');
    expect(final.id).toBe(response.id);
    expect(total(final, 'benefit')).toBe(520000);
  });

  test('a total exactly at the threshold is not pended; the sum of nets counts when total is absent', () => {
    const bundle = fixture('claim-bundle-above-pend-threshold.json');
    const claim = claimOf(bundle);
    claim.total = { value: 500000, currency: 'XOF' };
    expect(decideClaim(inputFor(bundle)).pended).toBe(false);

    delete claim.total; // items sum to 650000
    expect(decideClaim(inputFor(bundle)).pended).toBe(true);
  });

  test('members with errors are answered at once even above the threshold', () => {
    const bundle = fixture('claim-bundle-unknown-member.json');
    claimOf(bundle).total = { value: 900000, currency: 'XOF' };
    const { pended, response } = decideClaim(inputFor(bundle));
    expect(pended).toBe(false);
    expect(errorCodes(response)).toEqual(['member-unknown']);
  });

  test('amounts are rounded to whole francs: net first, then the benefit, copay is the rest', () => {
    const bundle = fixture('claim-bundle-covered-member.json');
    const items = claimOf(bundle).item ?? [];
    items.splice(1);
    const [first] = items;
    if (!first) {
      throw new Error('fixture has no item');
    }
    first.net = { value: 1234.4, currency: 'XOF' }; // 1234 → 80% = 987.2 → 987
    let { response } = decideClaim(inputFor(bundle));
    expect([amount(response, 1, 'submitted'), amount(response, 1, 'benefit'), amount(response, 1, 'copay')]).toEqual([1234, 987, 247]);

    delete first.net;
    first.unitPrice = { value: 999, currency: 'XOF' };
    first.quantity = { value: 3 };
    first.factor = 0.5; // 999 × 3 × 0.5 = 1498.5 → 1499 → 80% = 1199.2 → 1199
    ({ response } = decideClaim(inputFor(bundle)));
    expect([amount(response, 1, 'submitted'), amount(response, 1, 'benefit'), amount(response, 1, 'copay')]).toEqual([1499, 1199, 300]);
  });
});
