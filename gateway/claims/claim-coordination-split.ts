/**
 * The split of a coordinated claim (coordination of benefits), as the provider sees it on its original
 * claim: a ClaimResponse the gateway writes (source "gateway") each time the coordination moves on, with
 * each payer's share and, once every payer asked has answered, the patient's share. Its totals are the
 * claim's (submitted), what the payers pay (benefit) and what is left to the patient (copay); the
 * extension claim-split gives the same per payer, so the amounts add up: submitted = payers + patient.
 * Pure: the claim service gathers the payers and their answers.
 */
import type { Claim, ClaimResponse, ClaimResponseInsurance, ClaimResponseTotal, Extension, Money } from '@medplum/fhirtypes';
import { translatedElement, type Bilingual } from '../fhir/outcomes.js';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';

/** Extension on the gateway's split ClaimResponse: one share (a payer's, or the patient's) of the claim's total. */
export const CLAIM_SPLIT_EXTENSION = 'https://fhir.passerelle.sn/StructureDefinition/claim-split';

const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';

/** One payer of a coordinated claim, in payer order. */
export interface PayerShare {
  /** Its Claim.insurance.sequence in the provider's claim. */
  readonly sequence: number;
  readonly insurerId: string;
  readonly insurerName: string;
  /** The claim sent to this payer (the original, or a follow-on), once sent. */
  readonly claimId?: string;
  /** Its final answer (outcome complete, partial or error), once given. */
  readonly answer?: ClaimResponse & { id: string };
  /** The claim sent to this payer was cancelled before it answered: it pays nothing, and the coordination ends there. */
  readonly cancelled?: boolean;
}

/** The provider's original claim the split is written on. */
export interface SplitClaim {
  readonly id: string;
  readonly claim: Claim;
  readonly providerId: string;
  readonly insurerId: string;
  readonly patient: ClaimResponse['patient'];
}

type ShareState = 'adjudicated' | 'refused' | 'cancelled' | 'outstanding';
type Currency = NonNullable<Money['currency']>;

/** Rounded to the cent (XOF amounts are whole already). */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The claim's amount: Claim.total, else the sum of its items' net (unitPrice × quantity × factor without one). */
export function claimAmount(claim: Claim): { value: number; currency: Currency } {
  const items = claim.item ?? [];
  const currency = claim.total?.currency ?? items.map((i) => i.net?.currency ?? i.unitPrice?.currency).find(Boolean) ?? 'XOF';
  if (typeof claim.total?.value === 'number') return { value: claim.total.value, currency };
  const value = items.reduce((sum, i) => sum + (i.net?.value ?? (i.unitPrice?.value ?? 0) * (i.quantity?.value ?? 1) * (i.factor ?? 1)), 0);
  return { value: round(value), currency };
}

/** What a payer's answer pays: its benefit total, else its payment; nothing when it refused the claim. */
export function paidBy(answer: ClaimResponse): number {
  if (answer.outcome === 'error') return 0;
  const benefit = answer.total?.find((t) => t.category?.coding?.some((c) => c.code === 'benefit'))?.amount?.value;
  return round(Math.max(0, benefit ?? answer.payment?.amount?.value ?? 0));
}

/** The payers asked so far or still to ask: a refusal or a cancelled claim ends the coordination, so the payers after it are not. */
function askedShares(shares: readonly PayerShare[]): readonly PayerShare[] {
  const ended = shares.findIndex((s) => s.answer?.outcome === 'error' || (!s.answer && s.cancelled));
  return ended < 0 ? shares : shares.slice(0, ended + 1);
}

function stateOf(share: PayerShare): ShareState {
  if (!share.answer) return share.cancelled ? 'cancelled' : 'outstanding';
  return share.answer.outcome === 'error' ? 'refused' : 'adjudicated';
}

/** What a payer pays in the split: its answer's share, nothing for a cancelled claim; undefined while outstanding. */
function shareOf(share: PayerShare): number | undefined {
  return share.answer ? paidBy(share.answer) : share.cancelled ? 0 : undefined;
}

function shareExtension(share: PayerShare, currency: Currency): Extension {
  const state = stateOf(share);
  return {
    url: CLAIM_SPLIT_EXTENSION,
    extension: [
      { url: 'party', valueCode: 'payer' },
      { url: 'payer', valueReference: { identifier: { system: PARTICIPANT_SYSTEM, value: share.insurerId }, display: share.insurerName } },
      { url: 'insuranceSequence', valuePositiveInt: share.sequence },
      ...(share.claimId ? [{ url: 'claim', valueReference: { reference: `Claim/${share.claimId}` } }] : []),
      ...(share.answer ? [{ url: 'claimResponse', valueReference: { reference: `ClaimResponse/${share.answer.id}` } }] : []),
      { url: 'state', valueCode: state },
      ...(shareOf(share) === undefined ? [] : [{ url: 'amount', valueMoney: { value: shareOf(share)!, currency } }]),
    ],
  };
}

function total(code: string, value: number, currency: Currency): ClaimResponseTotal {
  return { category: { coding: [{ system: ADJUDICATION, code }] }, amount: { value, currency } };
}

/** The coverage each payer adjudicated, with its answer (ClaimResponse.insurance), as the provider's claim names it. */
function insuranceOf(claim: Claim, shares: readonly PayerShare[]): ClaimResponseInsurance[] {
  return shares.flatMap((share, i) => {
    const entry = claim.insurance?.find((e) => e.sequence === share.sequence);
    if (!entry?.coverage) return [];
    return [{
      sequence: share.sequence, focal: i === 0, coverage: entry.coverage,
      ...(share.answer ? { claimResponse: { reference: `ClaimResponse/${share.answer.id}` } } : {}),
    }];
  });
}

function disposition(shares: readonly PayerShare[], submitted: number, paid: number, currency: Currency, settled: boolean): Bilingual {
  const parts = shares.map((share): Bilingual => {
    const state = stateOf(share);
    if (state === 'outstanding') {
      const claim = share.claimId ? ` (Claim/${share.claimId})` : '';
      return { en: `${share.insurerName}'s share is outstanding${claim}`, fr: `la part de ${share.insurerName} reste due${claim}` };
    }
    if (state === 'cancelled') {
      return { en: `the claim to ${share.insurerName} was cancelled (pays 0 ${currency})`, fr: `la demande à ${share.insurerName} a été annulée (paie 0 ${currency})` };
    }
    return state === 'refused'
      ? { en: `${share.insurerName} refused the claim (pays 0 ${currency})`, fr: `${share.insurerName} a refusé la demande (paie 0 ${currency})` }
      : { en: `${share.insurerName} pays ${paidBy(share.answer!)} ${currency}`, fr: `${share.insurerName} paie ${paidBy(share.answer!)} ${currency}` };
  });
  const rest = round(Math.max(0, submitted - paid));
  const en = parts.map((p) => p.en).join(', ');
  const fr = parts.map((p) => p.fr).join(', ');
  return settled
    ? {
      en: `Coordination of benefits settled: ${en}; the patient pays ${rest} ${currency} (of ${submitted} ${currency}).`,
      fr: `Coordination des prestations réglée : ${fr} ; le patient paie ${rest} ${currency} (sur ${submitted} ${currency}).`,
    }
    : {
      en: `Coordination of benefits in progress: ${en}; ${rest} ${currency} of ${submitted} ${currency} remain to be shared between the outstanding payers and the patient.`,
      fr: `Coordination des prestations en cours : ${fr} ; ${rest} ${currency} sur ${submitted} ${currency} restent à répartir entre les payeurs qui n'ont pas encore répondu et le patient.`,
    };
}

/**
 * The split ClaimResponse on the original claim: outcome "complete" once every payer asked has answered
 * (the patient's share then known: the claim's total less the payers' shares, never below 0), "partial"
 * while a payer's share is outstanding (not answered yet, pended, or a dead letter).
 */
export function splitResponse(id: string, original: SplitClaim, shares: readonly PayerShare[], now = new Date()): ClaimResponse & { id: string } {
  const asked = askedShares(shares);
  const { value: submitted, currency } = claimAmount(original.claim);
  const paid = round(asked.reduce((sum, s) => sum + (shareOf(s) ?? 0), 0));
  const settled = asked.every((s) => shareOf(s) !== undefined);
  const patient = round(Math.max(0, submitted - paid));
  return {
    resourceType: 'ClaimResponse',
    id,
    status: 'active',
    type: original.claim.type,
    use: 'claim',
    patient: original.patient,
    created: now.toISOString(),
    insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: original.insurerId } },
    requestor: { identifier: { system: PARTICIPANT_SYSTEM, value: original.providerId } },
    request: { reference: `Claim/${original.id}` },
    outcome: settled ? 'complete' : 'partial',
    ...translatedElement('disposition', disposition(asked, submitted, paid, currency, settled)),
    insurance: insuranceOf(original.claim, asked),
    total: [total('submitted', submitted, currency), total('benefit', paid, currency), ...(settled ? [total('copay', patient, currency)] : [])],
    extension: [
      ...asked.map((share) => shareExtension(share, currency)),
      ...(settled ? [{ url: CLAIM_SPLIT_EXTENSION, extension: [{ url: 'party', valueCode: 'patient' }, { url: 'amount', valueMoney: { value: patient, currency } }] }] : []),
    ],
  };
}
