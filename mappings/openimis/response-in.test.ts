import { readFileSync } from 'node:fs';
import type { Bundle, Claim, ClaimResponse, ClaimResponseItem } from '@medplum/fhirtypes';
import { fromOpenImisResponse, openImisStatus } from './response-in.js';
import { CLAIM_ITEM_REFERENCE, CLAIM_STATUS_SYSTEM, REJECTION_REASON_SYSTEM } from './settings.js';

// The fixture's items: sequence 1 a service (ActivityDefinition, 15 000 XOF), sequence 2 a medical item (Medication, 2 × 12 000).
const claim = (JSON.parse(readFileSync(new URL('../../test/fixtures/profiles/openimis-claim-bundle.json', import.meta.url), 'utf8')) as Bundle).entry![0]!.resource as Claim;

const status = (code: number) => ({ coding: [{ system: CLAIM_STATUS_SYSTEM, code: String(code) }] });
const reason = (code: number, display: string) => ({ coding: [{ system: REJECTION_REASON_SYSTEM, code: String(code), display }] });
const ref = (type: 'Medication' | 'ActivityDefinition') => [{ url: CLAIM_ITEM_REFERENCE, valueReference: { type, reference: `${type}/x` } }];

/** An openIMIS item (openIMIS lists Medication lines first) adjudicated up to a status, as ClaimResponseConverter writes it. */
function line(seq: number, type: 'Medication' | 'ActivityDefinition', unit: number, qty: number, reached: number[], valuated: number, rejection?: [number, string]): ClaimResponseItem {
  if (rejection) return { itemSequence: seq, extension: ref(type), adjudication: [{ category: status(1), reason: reason(...rejection), amount: { value: unit }, value: qty }] };
  return {
    itemSequence: seq, extension: ref(type),
    adjudication: reached.map((s) => ({ category: status(s), reason: reason(0, 'ACCEPTED'), amount: { value: s === 16 ? valuated : unit }, value: qty })),
  };
}

function response(totals: number[], items: ClaimResponseItem[], outcome: ClaimResponse['outcome']): ClaimResponse {
  return {
    resourceType: 'ClaimResponse', id: 'b3c1', status: 'active', use: 'claim', outcome, created: '2026-11-21', type: claim.type!,
    patient: { reference: 'Patient/p' }, insurer: { reference: 'openIMIS' },
    total: totals.map((s) => ({ category: status(s), amount: { value: 1, currency: 'XOF' } })), item: items,
  };
}

describe('openIMIS answers in the gateway\'s terms', () => {
  it('keeps entered, checked and processed claims queued, whatever openIMIS calls the outcome', () => {
    for (const [reached, outcome] of [[[2], 'queued'], [[2, 4], 'partial'], [[2, 4, 8], 'partial']] as const) {
      const answer = response([...reached], [line(1, 'Medication', 12000, 2, [...reached], 0), line(2, 'ActivityDefinition', 15000, 1, [...reached], 0)], outcome);
      const mapped = fromOpenImisResponse(answer, claim);
      expect(mapped.outcome).toBe('queued');
      expect(mapped.item).toBeUndefined();
      expect(openImisStatus(answer)).toBe(Math.max(...reached));
    }
  });

  it('maps a valuated claim to complete, its lines back to the claim sequences (services after items in openIMIS)', () => {
    const all = [2, 4, 8, 16];
    const answer = response(all, [line(1, 'Medication', 12000, 2, all, 21600), line(2, 'ActivityDefinition', 15000, 1, all, 13500)], 'complete');
    const mapped = fromOpenImisResponse(answer, claim);
    expect(mapped.outcome).toBe('complete');
    expect(mapped.item!.map((i) => [i.itemSequence, i.adjudication.map((a) => a.amount?.value)])).toEqual([[1, [15000, 13500]], [2, [24000, 21600]]]);
    expect(mapped.total!.map((t) => t.amount.value)).toEqual([39000, 35100]);
    expect(mapped.payment?.amount?.value).toBe(35100);
  });

  it('maps a valuated claim with a rejected line to partial, the rejection reason on that line', () => {
    const all = [2, 4, 8, 16];
    const answer = response(all, [line(1, 'Medication', 12000, 2, all, 0, [2, 'NOT IN PRICE LIST']), line(2, 'ActivityDefinition', 15000, 1, all, 13500)], 'complete');
    const mapped = fromOpenImisResponse(answer, claim);
    expect(mapped.outcome).toBe('partial');
    const medication = mapped.item!.find((i) => i.itemSequence === 2)!;
    expect(medication.adjudication[1]).toMatchObject({ amount: { value: 0 }, reason: { coding: [{ system: REJECTION_REASON_SYSTEM, code: '2', display: 'NOT IN PRICE LIST' }] } });
  });

  it('maps a rejected claim (openIMIS says "complete") to error, one error per line with its reason', () => {
    const answer = response([], [line(1, 'Medication', 12000, 2, [], 0, [3, 'NO PRODUCT FOUND']), line(2, 'ActivityDefinition', 15000, 1, [], 0, [3, 'NO PRODUCT FOUND'])], 'complete');
    const mapped = fromOpenImisResponse(answer, claim);
    expect(mapped.outcome).toBe('error');
    expect(mapped.error!.map((e) => [e.itemSequence, e.code.coding![0]!.code])).toEqual([[1, '3'], [2, '3']]);
    expect(mapped.payment).toBeUndefined();
  });

  it('refuses answers it cannot read rather than guessing (the delivery is retried)', () => {
    expect(() => fromOpenImisResponse({ resourceType: 'OperationOutcome' }, claim)).toThrow(/not a ClaimResponse/);
    const all = [2, 4, 8, 16];
    expect(() => fromOpenImisResponse(response(all, [line(1, 'Medication', 12000, 2, all, 1)], 'complete'), claim)).toThrow(/1 items for a claim of 2/);
    expect(() => fromOpenImisResponse(response(all, [line(1, 'ActivityDefinition', 1, 1, all, 1), line(2, 'Medication', 1, 1, all, 1)], 'complete'), claim)).toThrow(/order/);
  });
});
