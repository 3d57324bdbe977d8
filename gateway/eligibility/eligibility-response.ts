/**
 * The CoverageEligibilityResponses the gateway gives: built from coverages (a synced registry, or an
 * insurer's Coverage search), taken over from the insurer's own answer (its $submit), "queued" past
 * the answer budget, or "error" when the insurer could not be asked. Every answer names the request,
 * the patient by member number, the insurer and the provider by participant identifier.
 */
import type { CodeableConcept, CoverageEligibilityResponse, CoverageEligibilityResponseInsuranceItemBenefit } from '@medplum/fhirtypes';
import { translatedElement, type Bilingual } from '../fhir/outcomes.js';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';
import type { EligibilityQuestion } from './eligibility-request.js';
import type { PlanBenefit } from './settings.js';

/** Code system of CoverageEligibilityResponse.error codes written by the gateway (docs/errors.md). */
export const ELIGIBILITY_ERROR_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/eligibility-error';

export type EligibilityErrorCode = 'member-unknown' | 'insurer-unavailable' | 'insurer-refused';

const BENEFIT_TYPE = 'http://terminology.hl7.org/CodeSystem/benefit-type';
const BENEFIT_CATEGORY = 'http://terminology.hl7.org/CodeSystem/ex-benefitcategory';

/** A member's coverage, whatever the registry it came from (dates YYYY-MM-DD). */
export interface CoverageFact {
  readonly coverageId?: string;
  readonly status: 'active' | 'cancelled' | 'ended';
  readonly periodStart?: string;
  readonly periodEnd?: string;
  readonly plan?: string;
}

/** Ids of one answer. */
export interface AnswerIds {
  readonly responseId: string;
  readonly requestId: string;
  readonly created: Date;
}

/** True when the coverage is active and its period holds every day from date to endDate. */
export function coversDates(coverage: CoverageFact, date: string, endDate = date): boolean {
  return coverage.status === 'active' && (!coverage.periodStart || coverage.periodStart <= date) && (!coverage.periodEnd || endDate <= coverage.periodEnd);
}

function envelope(question: EligibilityQuestion, ids: AnswerIds): CoverageEligibilityResponse & { id: string } {
  return {
    resourceType: 'CoverageEligibilityResponse',
    id: ids.responseId,
    status: 'active',
    purpose: [...question.purposes] as CoverageEligibilityResponse['purpose'],
    patient: { identifier: { system: question.member.system, value: question.member.value } },
    ...(question.endDate ? { servicedPeriod: { start: question.date, end: question.endDate } } : { servicedDate: question.date }),
    created: ids.created.toISOString(),
    requestor: { identifier: { system: PARTICIPANT_SYSTEM, value: question.providerId } },
    request: { reference: `CoverageEligibilityRequest/${ids.requestId}` },
    insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: question.insurer.id } },
    outcome: 'complete',
  };
}

/** An answer with outcome "error" and one coded error (its texts in English, with their French translation). */
export function errorResponse(question: EligibilityQuestion, ids: AnswerIds, code: EligibilityErrorCode, disposition: Bilingual): CoverageEligibilityResponse & { id: string } {
  return {
    ...envelope(question, ids), outcome: 'error', ...translatedElement('disposition', disposition),
    error: [{ code: { coding: [{ system: ELIGIBILITY_ERROR_SYSTEM, code }], ...translatedElement('text', disposition) } }],
  };
}

/** The answer given past the budget: the final one follows (pull and push). */
export function queuedResponse(question: EligibilityQuestion, ids: AnswerIds): CoverageEligibilityResponse & { id: string } {
  const follow = `GET CoverageEligibilityResponse?request=CoverageEligibilityRequest/${ids.requestId}`;
  return {
    ...envelope(question, ids), outcome: 'queued',
    ...translatedElement('disposition', {
      en: `${question.insurer.name} is slow to answer; the answer will follow (${follow}, or your callback)`,
      fr: `${question.insurer.name} tarde à répondre ; la réponse suivra (${follow}, ou par votre callback)`,
    }),
  };
}

/**
 * The answer from a member's coverages: unknown member when there are none; else each coverage with
 * inforce on the dates asked, its period, and the plan's benefits when benefits are asked.
 */
export function responseFromCoverages(
  question: EligibilityQuestion, ids: AnswerIds, coverages: readonly CoverageFact[],
): CoverageEligibilityResponse & { id: string } {
  const insurer = question.insurer;
  if (coverages.length === 0) {
    return errorResponse(question, ids, 'member-unknown', { en: `Member unknown to ${insurer.name}`, fr: `Assuré inconnu de ${insurer.name}` });
  }
  const benefits = question.purposes.includes('benefits');
  const insurance = coverages.map((c) => ({
    coverage: { identifier: { system: question.member.system, value: question.member.value }, display: coverageDisplay(question, c) },
    inforce: coversDates(c, question.date, question.endDate),
    ...(c.periodStart || c.periodEnd ? { benefitPeriod: { ...(c.periodStart ? { start: c.periodStart } : {}), ...(c.periodEnd ? { end: c.periodEnd } : {}) } } : {}),
    ...(benefits ? { item: benefitItems(question, c.plan) } : {}),
  }));
  const inforce = coverages.find((c) => coversDates(c, question.date, question.endDate));
  const latest = coverages[0]!;
  const when = question.endDate ? `from ${question.date} to ${question.endDate}` : `on ${question.date}`;
  const quand = question.endDate ? `du ${question.date} au ${question.endDate}` : `le ${question.date}`;
  const plan = inforce?.plan ? planName(question, inforce.plan) : undefined;
  const disposition: Bilingual = inforce
    ? {
      en: `Covered by ${insurer.name} ${when}${plan ? ` (plan ${plan})` : ''}${inforce.periodEnd ? `, until ${inforce.periodEnd}` : ''}`,
      fr: `Pris en charge par ${insurer.name} ${quand}${plan ? ` (formule ${plan})` : ''}${inforce.periodEnd ? `, jusqu'au ${inforce.periodEnd}` : ''}`,
    }
    : { en: `Not covered by ${insurer.name} ${when} (${periodText(latest).en})`, fr: `Non pris en charge par ${insurer.name} ${quand} (${periodText(latest).fr})` };
  return { ...envelope(question, ids), ...translatedElement('disposition', disposition), insurance };
}

/** "covered from A to B", or "coverage cancelled (…)" when it is not active. */
export function periodText(c: CoverageFact): Bilingual {
  const span = `${c.periodStart ? ` from ${c.periodStart}` : ''}${c.periodEnd ? ` to ${c.periodEnd}` : ''}`;
  const periode = `${c.periodStart ? ` du ${c.periodStart}` : ''}${c.periodEnd ? ` au ${c.periodEnd}` : ''}`;
  const statut = { active: 'active', cancelled: 'résiliée', ended: 'échue' }[c.status];
  return c.status === 'active'
    ? { en: `covered${span}`, fr: `couvert${periode}` }
    : { en: `coverage ${c.status}${span}`, fr: `couverture ${statut}${periode}` };
}

function coverageDisplay(question: EligibilityQuestion, c: CoverageFact): string {
  return [c.plan ? `Plan ${planName(question, c.plan)}` : undefined, c.coverageId ? `coverage ${c.coverageId}` : undefined].filter(Boolean).join(', ') || 'Coverage';
}

function planName(question: EligibilityQuestion, plan: string): string {
  return question.insurer.eligibility.plans?.[plan]?.name ?? plan;
}

/** Benefits per item category asked (or every category of the plan), from the plan's settings. */
function benefitItems(question: EligibilityQuestion, plan: string | undefined): NonNullable<NonNullable<CoverageEligibilityResponse['insurance']>[number]['item']> {
  const planBenefits = (plan ? question.insurer.eligibility.plans?.[plan]?.benefits : undefined) ?? [];
  const asked = question.items.length > 0 ? question.items : planBenefits.map((b) => ({ category: categoryConcept(b.category), productOrService: undefined }));
  return asked.map((item) => {
    const code = item.category?.coding?.find((c) => c.system === BENEFIT_CATEGORY || !c.system)?.code;
    const benefit = planBenefits.find((b) => b.category === code);
    const service = item.productOrService?.coding?.[0]?.code;
    const excluded = Boolean(benefit && service && benefit.excludedServices?.includes(service));
    return {
      ...(item.category ? { category: item.category } : {}),
      ...(item.productOrService ? { productOrService: item.productOrService } : {}),
      ...(excluded ? { excluded: true } : {}),
      ...(benefit && !excluded ? { benefit: benefitsOf(benefit) } : {}),
      ...(!benefit ? translatedElement('description', { en: 'No benefit of the plan for this category', fr: 'Aucune garantie de la formule pour cette catégorie' }) : {}),
    };
  });
}

function categoryConcept(code: string): CodeableConcept {
  return { coding: [{ system: BENEFIT_CATEGORY, code }] };
}

function benefitsOf(benefit: PlanBenefit): CoverageEligibilityResponseInsuranceItemBenefit[] {
  return [
    ...(benefit.copayPercent !== undefined ? [{ type: { coding: [{ system: BENEFIT_TYPE, code: 'copay-percent' }] }, allowedUnsignedInt: benefit.copayPercent }] : []),
    ...(benefit.maxAmount !== undefined ? [{ type: { coding: [{ system: BENEFIT_TYPE, code: 'benefit' }] }, allowedMoney: { value: benefit.maxAmount, currency: 'XOF' as const } }] : []),
  ];
}

/**
 * The insurer's own answer ($submit), as the gateway passes it on: its outcome, disposition, coverages
 * and errors, with the gateway's ids and parties.
 */
export function responseFromInsurer(question: EligibilityQuestion, ids: AnswerIds, answer: InsurerFinding): CoverageEligibilityResponse & { id: string } {
  return {
    ...envelope(question, ids),
    outcome: answer.outcome,
    ...(answer.disposition ? { disposition: answer.disposition } : {}),
    ...(answer.insurance ? { insurance: answer.insurance } : {}),
    ...(answer.error ? { error: answer.error } : {}),
  };
}

/** What is kept of an insurer's answer (cached, then passed on): no ids, no patient. */
export interface InsurerFinding {
  readonly outcome: CoverageEligibilityResponse['outcome'];
  readonly disposition?: string;
  readonly insurance?: CoverageEligibilityResponse['insurance'];
  readonly error?: CoverageEligibilityResponse['error'];
}

/** The finding of an insurer's answer; undefined when it is not an answer at all (garbage). */
export function findingOf(response: CoverageEligibilityResponse): InsurerFinding | undefined {
  if (!['complete', 'error', 'partial'].includes(response.outcome as string)) return undefined;
  if (response.insurance !== undefined && !Array.isArray(response.insurance)) return undefined;
  if (response.error !== undefined && !Array.isArray(response.error)) return undefined;
  return { outcome: response.outcome, disposition: typeof response.disposition === 'string' ? response.disposition : undefined, insurance: response.insurance, error: response.error };
}
