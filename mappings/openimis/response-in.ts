/**
 * openIMIS's ClaimResponse (ClaimResponseConverter) read back into the gateway's terms. openIMIS's own
 * outcome is not usable as is (it says "complete" for a rejected claim and "partial" for one merely
 * checked), so the claim status is read from what the response carries: its totals by status
 * (claim-status codes 2 entered, 4 checked, 8 processed, 16 valuated) and, for a rejected claim (1),
 * items adjudicated only under status 1 with a rejection reason.
 *
 *   1 rejected  → outcome error, each item's rejection reason on its adjudication and in error[]
 *   2 entered, 4 checked, 8 processed → outcome queued (the claim stays pended; the gateway asks again)
 *   16 valuated → complete, or partial when some items were rejected (error when all were)
 *
 * openIMIS lists medical items first, then services, renumbering itemSequence; they are matched back
 * to the claim's own sequences by that order and kind.
 */
import type { Claim, ClaimResponse, ClaimResponseItem, ClaimResponseItemAdjudication, CodeableConcept } from '@medplum/fhirtypes';
import { TransientDeliveryError } from '../adapter.js';
import { itemKinds } from './claim-out.js';
import { CLAIM_ITEM_REFERENCE, CLAIM_STATUS_SYSTEM, REJECTION_REASON_SYSTEM } from './settings.js';
import { translatedElement, type Bilingual } from '../../gateway/fhir/outcomes.js';

const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';

/** openIMIS claim states. */
export const OPENIMIS_STATUS = { rejected: 1, entered: 2, checked: 4, processed: 8, valuated: 16 } as const;

const STATUS_TEXT: Record<number, Bilingual> = {
  1: { en: 'rejected', fr: 'rejetée' }, 2: { en: 'entered, awaiting checks', fr: 'saisie, en attente de contrôle' },
  4: { en: 'checked, awaiting processing', fr: 'contrôlée, en attente de traitement' }, 8: { en: 'processed, awaiting valuation', fr: 'traitée, en attente de valorisation' },
  16: { en: 'valuated', fr: 'valorisée' },
};

/** An unusable openIMIS answer: retried (it may be a passing fault), never guessed at. */
export class OpenImisReplyError extends TransientDeliveryError {
  constructor(message: string) {
    super(`openIMIS answered ${message}`);
    this.name = 'OpenImisReplyError';
  }
}

function statusCode(concept: CodeableConcept | undefined): number | undefined {
  const code = concept?.coding?.find((c) => c.system === CLAIM_STATUS_SYSTEM)?.code ?? concept?.coding?.[0]?.code;
  const n = Number(code);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The openIMIS status of the claim a ClaimResponse describes. */
export function openImisStatus(response: ClaimResponse): number {
  const reached = (response.total ?? []).map((t) => statusCode(t.category)).filter((n): n is number => n !== undefined);
  if (reached.length > 0) return Math.max(...reached);
  const itemStatuses = (response.item ?? []).flatMap((i) => (i.adjudication ?? []).map((a) => statusCode(a.category)));
  if (itemStatuses.length > 0 && itemStatuses.every((s) => s === OPENIMIS_STATUS.rejected)) return OPENIMIS_STATUS.rejected;
  return OPENIMIS_STATUS.entered;
}

interface LineDecision {
  readonly sequence: number;
  readonly submitted: number;
  readonly benefit: number;
  readonly reason?: CodeableConcept;
}

function money(value: number, currency: string) {
  return { value, currency: currency as 'XOF' };
}

function adjudicationAt(item: ClaimResponseItem, status: number): ClaimResponseItemAdjudication | undefined {
  return item.adjudication?.find((a) => statusCode(a.category) === status);
}

function decideLine(item: ClaimResponseItem, sequence: number, claimStatus: number): LineDecision {
  const rejected = adjudicationAt(item, OPENIMIS_STATUS.rejected);
  const entered = rejected ?? adjudicationAt(item, OPENIMIS_STATUS.entered);
  const unit = entered?.amount?.value;
  const quantity = entered?.value ?? 1;
  if (unit === undefined) throw new OpenImisReplyError(`a ClaimResponse item (itemSequence ${item.itemSequence}) without its claimed amount`);
  const submitted = Math.round(unit * quantity);
  const reasonCode = (rejected ?? entered)?.reason?.coding?.find((c) => c.system === REJECTION_REASON_SYSTEM);
  if (rejected || claimStatus === OPENIMIS_STATUS.rejected) {
    return { sequence, submitted, benefit: 0, reason: reasonCode ? { coding: [reasonCode], text: reasonCode.display } : undefined };
  }
  const valuated = adjudicationAt(item, OPENIMIS_STATUS.valuated)?.amount?.value;
  return { sequence, submitted, benefit: claimStatus === OPENIMIS_STATUS.valuated ? Math.round(valuated ?? 0) : 0 };
}

/** openIMIS's items matched to the claim's sequences: medical items first, then services, each in the claim's order. */
function claimSequences(claim: Claim, response: ClaimResponse): number[] {
  const kinds = itemKinds(claim);
  const ordered = [...(claim.item ?? []).entries()].sort(([a], [b]) => (kinds[a] === kinds[b] ? a - b : kinds[a] === 'item' ? -1 : 1));
  const items = response.item ?? [];
  if (items.length !== ordered.length) throw new OpenImisReplyError(`with ${items.length} items for a claim of ${ordered.length}`);
  return items.map((item, i) => {
    const [index, claimItem] = ordered[i]!;
    const type = item.extension?.find((e) => e.url === CLAIM_ITEM_REFERENCE)?.valueReference?.type;
    const expected = kinds[index] === 'item' ? 'Medication' : 'ActivityDefinition';
    if (type && type !== expected) throw new OpenImisReplyError(`items in an order that does not match the claim (item ${i + 1} is a ${type}, expected a ${expected})`);
    return claimItem.sequence;
  });
}

/** The gateway's ClaimResponse for openIMIS's answer about this claim (the claim as the gateway delivered it). */
export function fromOpenImisResponse(response: unknown, claim: Claim): ClaimResponse {
  const answer = response as ClaimResponse | null;
  if (answer?.resourceType !== 'ClaimResponse') throw new OpenImisReplyError('with something that is not a ClaimResponse');
  const status = openImisStatus(answer);
  const base: ClaimResponse = {
    resourceType: 'ClaimResponse', status: 'active', type: claim.type, use: claim.use ?? 'claim', patient: claim.patient,
    created: new Date().toISOString(), insurer: claim.insurer ?? {}, outcome: 'queued',
    ...translatedElement('disposition', {
      en: `openIMIS: claim ${STATUS_TEXT[status]?.en ?? `in state ${status}`}.`,
      fr: `openIMIS : demande ${STATUS_TEXT[status]?.fr ?? `à l'état ${status}`}.`,
    }),
  };
  if (status !== OPENIMIS_STATUS.rejected && status !== OPENIMIS_STATUS.valuated) return base;
  const currency = claim.total?.currency ?? claim.item?.[0]?.unitPrice?.currency ?? 'XOF';
  const sequences = claimSequences(claim, answer);
  const lines = (answer.item ?? []).map((item, i) => decideLine(item, sequences[i]!, status)).sort((a, b) => a.sequence - b.sequence);
  const rejected = lines.filter((l) => l.reason || status === OPENIMIS_STATUS.rejected);
  const outcome = rejected.length === 0 ? 'complete' : rejected.length === lines.length ? 'error' : 'partial';
  const benefit = lines.reduce((sum, l) => sum + l.benefit, 0);
  const submitted = lines.reduce((sum, l) => sum + l.submitted, 0);
  const category = (code: string) => ({ coding: [{ system: ADJUDICATION, code }] });
  return {
    ...base,
    outcome,
    ...translatedElement('disposition', outcome === 'complete'
      ? { en: `openIMIS: claim valuated, ${benefit} ${currency} covered.`, fr: `openIMIS : demande valorisée, ${benefit} ${currency} pris en charge.` }
      : outcome === 'partial'
        ? { en: `openIMIS: claim valuated, ${rejected.length} of ${lines.length} items rejected; ${benefit} ${currency} covered.`,
          fr: `openIMIS : demande valorisée, ${rejected.length} ligne(s) sur ${lines.length} rejetée(s) ; ${benefit} ${currency} pris en charge.` }
        : { en: 'openIMIS: claim rejected.', fr: 'openIMIS : demande rejetée.' }),
    item: lines.map((l) => ({
      itemSequence: l.sequence,
      adjudication: [
        { category: category('submitted'), amount: money(l.submitted, currency) },
        { category: category('benefit'), amount: money(l.benefit, currency), ...(l.reason ? { reason: l.reason } : {}) },
      ],
    })),
    total: [{ category: category('submitted'), amount: money(submitted, currency) }, { category: category('benefit'), amount: money(benefit, currency) }],
    ...(benefit > 0 ? { payment: { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-paymenttype', code: 'complete' }] }, amount: money(benefit, currency) } } : {}),
    ...(outcome === 'error' ? { error: rejected.map((l) => ({ itemSequence: l.sequence, code: l.reason ?? { text: 'Rejected by openIMIS' } })) } : {}),
  };
}
