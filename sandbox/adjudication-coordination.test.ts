// Coordination of benefits at the sandbox: a later payer receives the claim with its own insurance entry
// focal and the earlier payer's ClaimResponse included (insurance.claimResponse), and adjudicates what
// that payer left. The worked example of docs/sandbox.md.
import { readFileSync } from 'node:fs';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import { adjudicateClaim, type AdjudicationInput } from './adjudication.js';
import { findMemberIdentifier } from './bundle-references.js';
import { earlierPayments } from './claim-amounts.js';
import { focalInsurance } from './claim-bundle.js';
import { findMember } from './registry.js';
import { defaultSeedFile, loadSeedFile } from './seed.js';

const NOW = new Date('2025-06-15T10:00:00Z');
const seed = loadSeedFile(defaultSeedFile());

function fixture(): Bundle {
  return JSON.parse(readFileSync(new URL('./fixtures/claim-bundle-two-payers.json', import.meta.url), 'utf8')) as Bundle;
}

/** The rules' input as the server builds it: member from the focal insurance, earlier payments from the Bundle. */
function inputFor(bundle: Bundle, insurerId: string, responseId: string): AdjudicationInput {
  const claim = bundle.entry![0]!.resource as Claim;
  const insurer = seed.insurers.find((i) => i.id === insurerId)!;
  const memberIdentifier = findMemberIdentifier(bundle, { coverage: focalInsurance(claim)?.coverage, patient: claim.patient }, insurer.memberSystem);
  const member = memberIdentifier ? findMember(insurer, memberIdentifier.value, NOW) : undefined;
  return { claim, insurer, memberIdentifier, member, now: NOW, responseId, earlier: earlierPayments(bundle, claim) };
}

/** The claim as the gateway sends it on: the first entry carries the first payer's answer, the second is focal. */
function forSecondPayer(bundle: Bundle, first: ClaimResponse): Bundle {
  const claim = structuredClone(bundle.entry![0]!.resource as Claim);
  claim.insurer = { identifier: { system: 'urn:passerelle:participant', value: 'demo-mutuelle' } };
  claim.insurance = [
    { ...claim.insurance![0]!, focal: false, claimResponse: { reference: `urn:uuid:${first.id!}` } },
    { ...claim.insurance![1]!, focal: true },
  ];
  return { ...bundle, entry: [{ ...bundle.entry![0]!, resource: claim }, ...bundle.entry!.slice(1), { fullUrl: `urn:uuid:${first.id!}`, resource: first }] };
}

function amount(response: ClaimResponse, itemSequence: number, category: string): number | undefined {
  return response.item?.find((i) => i.itemSequence === itemSequence)?.adjudication.find((a) => a.category.coding?.[0]?.code === category)?.amount?.value;
}

function total(response: ClaimResponse, category: string): number | undefined {
  return response.total?.find((t) => t.category.coding?.[0]?.code === category)?.amount.value;
}

function withItems(bundle: Bundle, items: Claim['item']): Bundle {
  const claim = bundle.entry![0]!.resource as Claim;
  claim.item = items;
  delete claim.total;
  return bundle;
}

describe('a later payer (coordination of benefits)', () => {
  it('pays its share of what the earlier payer left, per item and in total', () => {
    const bundle = fixture();
    const ipm = adjudicateClaim(inputFor(bundle, 'demo-insurer', '11111111-1111-4111-8111-111111111111'));
    expect([total(ipm, 'benefit'), ipm.insurance]).toEqual([20000, undefined]);
    const mutuelle = adjudicateClaim(inputFor(forSecondPayer(bundle, ipm), 'demo-mutuelle', 'response-2'));
    expect(mutuelle.outcome).toBe('complete');
    expect(mutuelle.patient).toEqual({ identifier: { system: 'urn:passerelle:demo-mutuelle:member', value: 'C0001' } });
    expect([1, 2].map((s) => ['submitted', 'eligible', 'benefit', 'copay'].map((c) => amount(mutuelle, s, c)))).toEqual([[15000, 3000, 1500, 1500], [10000, 2000, 1000, 1000]]);
    expect(['submitted', 'eligible', 'benefit'].map((c) => total(mutuelle, c))).toEqual([25000, 5000, 2500]);
    expect(mutuelle.payment?.amount).toEqual({ value: 2500, currency: 'XOF' });
    expect(mutuelle.disposition).toBe('Claim accepted. Mutuelle Démo pays 2500 XOF (50% of the 5000 XOF the earlier payers left).');
    expect(mutuelle.insurance).toEqual([
      expect.objectContaining({ sequence: 1, focal: false, claimResponse: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } }),
      expect.objectContaining({ sequence: 2, focal: true }),
    ]);
  });

  it('rounds each share to whole francs, halves up', () => {
    const bundle = withItems(fixture(), [{ sequence: 1, productOrService: { coding: [{ code: 'CONS01' }] }, net: { value: 10001, currency: 'XOF' } }]);
    const ipm = adjudicateClaim(inputFor(bundle, 'demo-insurer', '22222222-2222-4222-8222-222222222222'));
    expect(total(ipm, 'benefit')).toBe(8001); // 8 000.8
    const mutuelle = adjudicateClaim(inputFor(forSecondPayer(bundle, ipm), 'demo-mutuelle', 'response-2'));
    expect([amount(mutuelle, 1, 'eligible'), amount(mutuelle, 1, 'benefit'), amount(mutuelle, 1, 'copay')]).toEqual([2000, 1000, 1000]);
  });

  it('never pays more than is left, and pays nothing on an excluded service', () => {
    const bundle = withItems(fixture(), [
      { sequence: 1, productOrService: { coding: [{ code: 'CONS01' }] }, net: { value: 15000, currency: 'XOF' } },
      { sequence: 2, productOrService: { coding: [{ code: 'COSM01' }] }, net: { value: 30000, currency: 'XOF' } },
    ]);
    const ipm = adjudicateClaim(inputFor(bundle, 'demo-insurer', '33333333-3333-4333-8333-333333333333'));
    expect(ipm.outcome).toBe('partial');
    // An earlier answer saying it paid more than the item's net leaves nothing on that item.
    const generous: ClaimResponse = { ...ipm, item: ipm.item!.map((i) => (i.itemSequence === 1 ? { ...i, adjudication: [{ category: { coding: [{ code: 'benefit' }] }, amount: { value: 20000, currency: 'XOF' } }] } : i)), total: undefined };
    const mutuelle = adjudicateClaim(inputFor(forSecondPayer(bundle, generous), 'demo-mutuelle', 'response-2'));
    expect(mutuelle.outcome).toBe('partial');
    expect([amount(mutuelle, 1, 'eligible'), amount(mutuelle, 1, 'benefit'), amount(mutuelle, 2, 'benefit')]).toEqual([0, 0, 0]);
    expect(total(mutuelle, 'benefit')).toBe(0);
    expect(mutuelle.payment).toBeUndefined();
  });

  it('counts an earlier refusal as nothing paid', () => {
    const bundle = fixture();
    const refused: ClaimResponse = { resourceType: 'ClaimResponse', id: '44444444-4444-4444-8444-444444444444', status: 'active', use: 'claim', outcome: 'error',
      type: { coding: [{ code: 'professional' }] }, patient: {}, created: NOW.toISOString(), insurer: {}, total: [{ category: { coding: [{ code: 'benefit' }] }, amount: { value: 25000 } }] } as ClaimResponse;
    const mutuelle = adjudicateClaim(inputFor(forSecondPayer(bundle, refused), 'demo-mutuelle', 'response-2'));
    expect(['eligible', 'benefit'].map((c) => total(mutuelle, c))).toEqual([25000, 12500]);
  });
});
