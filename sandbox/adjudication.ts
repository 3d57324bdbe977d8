// The sandbox's adjudication rules. Pure and deterministic: the same Claim, member, clock and response
// id always give the same ClaimResponse, so tests and integrators can predict every answer.
// The rules are written out with a worked example in docs/sandbox.md; keep the two in step.
import type { Words } from './texts.js';
import type { Claim, ClaimItem, ClaimResponse, ClaimResponseInsurance, ClaimResponseItem, CodeableConcept, Identifier } from '@medplum/fhirtypes';
import { ADJUDICATION_REASON_SYSTEM, ADJUDICATION_REASONS } from './adjudication-codes.js';
import { claimTotal, francs, itemNet, serviceDate, type EarlierPayments } from './claim-amounts.js';
import {
  adjudicationEntry,
  adjudicationError,
  payment,
  responseEnvelope,
  totalEntry,
  type ResponseEnvelope,
} from './claim-response.js';
import { memberInForce, notInForce, type MemberCoverage } from './registry.js';
import type { InsurerSeed } from './seed.js';

/** What the rules look at. */
export interface AdjudicationInput {
  readonly claim: Claim;
  readonly insurer: InsurerSeed;
  /** The member number found in the request (in the insurer's member system), if any. */
  readonly memberIdentifier?: Identifier;
  /** The registry's entry for that number; undefined when the member is unknown. */
  readonly member?: MemberCoverage;
  readonly now: Date;
  /** Id of the ClaimResponse; random in the server, fixed in tests. */
  readonly responseId: string;
  /** The claim carries a prior authorisation this insurer gave and is still valid: it is not pended. */
  readonly preAuthorised?: boolean;
  /** What earlier payers paid (their ClaimResponses in the Bundle): this insurer adjudicates what they left. */
  readonly earlier?: EarlierPayments;
}

/** How long a prior authorisation is valid, from the day it is given. */
export const PRE_AUTH_VALID_DAYS = 30;

/** The answer to a $submit: final, or pended (a "queued" response now, the final one later). */
export interface ClaimDecision {
  readonly pended: boolean;
  readonly response: ClaimResponse;
}

/** How one item was adjudicated, in whole francs. */
export interface ItemDecision {
  readonly sequence: number;
  readonly net: number;
  /** What this insurer adjudicates: the net, less what earlier payers paid on the item. */
  readonly eligible: number;
  readonly benefit: number;
  readonly copay: number;
  readonly excluded: boolean;
}

function envelope(input: AdjudicationInput): ResponseEnvelope {
  const { claim, insurer, memberIdentifier, now, responseId } = input;
  return { claim, insurerId: insurer.id, memberIdentifier, now, responseId };
}

/** Whether a productOrService (read defensively: it comes from the request) names an excluded service. */
export function isExcludedService(productOrService: CodeableConcept | undefined, insurer: InsurerSeed): boolean {
  const coding: unknown = productOrService?.coding;
  const codes = Array.isArray(coding) ? coding.map((c: { code?: unknown }) => c?.code) : [];
  return codes.some((code) => typeof code === 'string' && insurer.excludedServiceCodes.includes(code));
}

/**
 * Adjudicates one item: excluded services get nothing, others the insurer's share of what is eligible:
 * the net, less what earlier payers paid on the item (never below 0), so a later payer never pays more
 * than the earlier ones left.
 */
export function decideItem(item: ClaimItem, index: number, insurer: InsurerSeed, earlier?: EarlierPayments): ItemDecision {
  const sequence = typeof item.sequence === 'number' ? item.sequence : index + 1;
  const net = itemNet(item) ?? 0;
  const eligible = Math.max(0, net - (earlier?.byItem.get(sequence) ?? 0));
  if (isExcludedService(item.productOrService, insurer)) {
    return { sequence, net, eligible, benefit: 0, copay: 0, excluded: true };
  }
  // Integer percent keeps the product exact, so halves really are halves before rounding up.
  const benefit = Math.min(eligible, francs((eligible * insurer.payerSharePercent) / 100));
  return { sequence, net, eligible, benefit, copay: eligible - benefit, excluded: false };
}

function responseItem(decision: ItemDecision, coordinated: boolean): ClaimResponseItem {
  if (decision.excluded) {
    const reason = {
      coding: [{ system: ADJUDICATION_REASON_SYSTEM, code: 'excluded-service', display: ADJUDICATION_REASONS['excluded-service'] }],
    };
    return {
      itemSequence: decision.sequence,
      adjudication: [adjudicationEntry('submitted', decision.net), adjudicationEntry('benefit', 0, reason)],
    };
  }
  return {
    itemSequence: decision.sequence,
    adjudication: [
      adjudicationEntry('submitted', decision.net),
      ...(coordinated ? [adjudicationEntry('eligible', decision.eligible)] : []),
      adjudicationEntry('copay', decision.copay),
      adjudicationEntry('benefit', decision.benefit),
    ],
  };
}

/**
 * Rejects the whole claim when the member is unknown, cancelled or not covered on the date of service.
 * @returns an "error" ClaimResponse, or undefined when the member may be adjudicated.
 */
export function memberRejection(input: AdjudicationInput): ClaimResponse | undefined {
  const { member, insurer } = input;
  if (!member) {
    const response = responseEnvelope(envelope(input), 'error', { en: `Member unknown to ${insurer.name}.`, fr: `Adhérent inconnu de ${insurer.name}.` });
    return { ...response, error: [adjudicationError('member-unknown')] };
  }
  const date = serviceDate(input.claim, input.now);
  if (!memberInForce(member, date)) {
    const text = notInForce(member, date);
    return { ...responseEnvelope(envelope(input), 'error', text), error: [adjudicationError('coverage-inactive')] };
  }
  return undefined;
}

function disposition(decisions: ItemDecision[], benefit: number, insurer: InsurerSeed, eligible: number | undefined, use: string): Words {
  const rejected = decisions.filter((d) => d.excluded).length;
  // A prior authorisation or a predetermination says what would be paid; only a claim is paid.
  const claim = use === 'claim';
  const what = use === 'preauthorization' ? { en: 'Prior authorisation', fr: 'Accord préalable' } : use === 'predetermination' ? { en: 'Predetermination', fr: 'Estimation préalable' } : { en: 'Claim', fr: 'Demande de remboursement' };
  const paid = {
    en: `${insurer.name} ${claim ? 'pays' : 'would pay'} ${benefit} XOF (${eligible === undefined ? `${insurer.payerSharePercent}% of accepted items` : `${insurer.payerSharePercent}% of the ${eligible} XOF the earlier payers left`}).`,
    fr: `${insurer.name} ${claim ? 'prend en charge' : 'prendrait en charge'} ${benefit} XOF (${eligible === undefined ? `${insurer.payerSharePercent} % des actes acceptés` : `${insurer.payerSharePercent} % des ${eligible} XOF laissés par les payeurs précédents`}).`,
  };
  if (rejected === 0) {
    return { en: `${what.en} accepted. ${paid.en}`, fr: `${what.fr} acceptée. ${paid.fr}` };
  }
  if (rejected === decisions.length) {
    return { en: `${what.en} rejected: every item is an excluded service.`, fr: `${what.fr} rejetée : tous les actes sont des prestations exclues.` };
  }
  return {
    en: `${what.en} partly accepted: ${rejected} of ${decisions.length} items rejected as excluded services. ${paid.en}`,
    fr: `${what.fr} acceptée en partie : ${rejected} acte(s) sur ${decisions.length} rejeté(s) comme prestations exclues. ${paid.fr}`,
  };
}

/**
 * Adjudicates every item of a claim whose member is covered (no pend check). A claim carrying earlier
 * payers' adjudication is adjudicated on what they left, per item and in total (never more than the
 * claim's total less what they paid), and the answer echoes the claim's insurance entries.
 */
export function adjudicateItems(input: AdjudicationInput): ClaimResponse {
  const { earlier } = input;
  const decisions = (input.claim.item ?? []).map((item, i) => decideItem(item, i, input.insurer, earlier));
  const submitted = decisions.reduce((sum, d) => sum + d.net, 0);
  const eligible = earlier ? Math.min(decisions.reduce((sum, d) => sum + d.eligible, 0), Math.max(0, submitted - earlier.total)) : undefined;
  const benefit = Math.min(decisions.reduce((sum, d) => sum + d.benefit, 0), eligible ?? submitted);
  const rejected = decisions.filter((d) => d.excluded);
  const outcome = rejected.length === 0 ? 'complete' : rejected.length === decisions.length ? 'error' : 'partial';
  const response = responseEnvelope(envelope(input), outcome, disposition(decisions, benefit, input.insurer, eligible, input.claim.use ?? 'claim'));
  return {
    ...response,
    ...(earlier ? { insurance: echoedInsurance(input.claim) } : {}),
    ...(input.claim.use === 'preauthorization' && outcome !== 'error' ? preAuthorisation(input) : {}),
    item: decisions.map((d) => responseItem(d, earlier !== undefined)),
    total: [totalEntry('submitted', submitted), ...(eligible === undefined ? [] : [totalEntry('eligible', eligible)]), totalEntry('benefit', benefit)],
    // Preauthorisations and predeterminations say what would be paid; only a claim is paid.
    ...((input.claim.use ?? 'claim') === 'claim' ? payment(benefit) : {}),
    ...(outcome === 'error' ? { error: rejected.map((d) => adjudicationError('excluded-service', d.sequence)) } : {}),
  };
}

/** The claim's insurance entries as ClaimResponse.insurance: which payer adjudicated what before (claimResponse). */
function echoedInsurance(claim: Claim): ClaimResponseInsurance[] {
  return (claim.insurance ?? []).map((entry, i) => ({
    sequence: typeof entry.sequence === 'number' ? entry.sequence : i + 1,
    focal: entry.focal === true,
    coverage: entry.coverage,
    ...(entry.claimResponse ? { claimResponse: entry.claimResponse } : {}),
  }));
}

/**
 * What a prior authorisation that is not refused carries: its reference (from the response id, so
 * a pended request's final answer keeps it) and the days it is valid.
 */
function preAuthorisation(input: AdjudicationInput): Pick<ClaimResponse, 'preAuthRef' | 'preAuthPeriod'> {
  const start = input.now.toISOString().slice(0, 10);
  const end = new Date(input.now.getTime() + (PRE_AUTH_VALID_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  return { preAuthRef: `PA-${input.responseId.replaceAll('-', '').slice(0, 10).toUpperCase()}`, preAuthPeriod: { start, end } };
}

/** The final adjudication of a claim: member checks, then items. Used directly for pended claims. */
export function adjudicateClaim(input: AdjudicationInput): ClaimResponse {
  return memberRejection(input) ?? adjudicateItems(input);
}

/**
 * Decides a submitted claim. Member and coverage errors answer at once; a covered claim whose total
 * is above the insurer's pend threshold is pended ("queued" now, adjudicateClaim later); any other
 * claim is adjudicated at once.
 */
export function decideClaim(input: AdjudicationInput): ClaimDecision {
  const rejection = memberRejection(input);
  if (rejection) {
    return { pended: false, response: rejection };
  }
  const total = claimTotal(input.claim);
  if (total > input.insurer.pendThreshold && !input.preAuthorised) {
    const text = {
      en: `Claim pended for manual review: total ${total} XOF is above ${input.insurer.pendThreshold} XOF. The final answer will follow.`,
      fr: `Demande mise en attente pour examen manuel : le total de ${total} XOF dépasse ${input.insurer.pendThreshold} XOF. La réponse définitive suivra.`,
    };
    const response = responseEnvelope(envelope(input), 'queued', text);
    return { pended: true, response: { ...response, total: [totalEntry('submitted', total)] } };
  }
  return { pended: false, response: adjudicateItems(input) };
}
