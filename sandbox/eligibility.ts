// Eligibility checks: is this member covered by this insurer on the date asked about, and (purpose
// "benefits") what does their plan pay? Reading the request is lenient (a bare
// CoverageEligibilityRequest or a collection Bundle led by one); the answer is deterministic from the
// registry (seed ranges and changes) and the sandbox clock.
import { inBothLanguages } from './texts.js';
import type {
  Bundle,
  CodeableConcept,
  CoverageEligibilityRequest,
  CoverageEligibilityResponse,
  CoverageEligibilityResponseInsurance,
  CoverageEligibilityResponseInsuranceItem,
  Identifier,
  OperationOutcomeIssue,
  Reference,
} from '@medplum/fhirtypes';
import { ADJUDICATION_ERROR_SYSTEM, ADJUDICATION_ERRORS } from './adjudication-codes.js';
import { isExcludedService } from './adjudication.js';
import { errorIssue } from './outcomes.js';
import { memberInForce, notInForce, type MemberCoverage } from './registry.js';
import type { InsurerSeed } from './seed.js';

/** Category of a benefits answer when the request names no item. */
export const MEDICAL_CARE: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-benefitcategory', code: '1', display: 'Medical Care' }],
};

const COPAY_PERCENT: CodeableConcept = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'copay-percent' }] };

/** An eligibility request body that passed the shape checks. */
export interface EligibilityBody {
  readonly request: CoverageEligibilityRequest;
  /** Present when the request came in a Bundle with the resources it references. */
  readonly bundle?: Bundle;
}

/** What the eligibility answer depends on. */
export interface EligibilityInput extends EligibilityBody {
  readonly insurer: InsurerSeed;
  readonly memberIdentifier?: Identifier;
  readonly member?: MemberCoverage;
  readonly now: Date;
  readonly responseId: string;
}

function isResource(value: unknown, type: string): value is { resourceType: string } {
  return typeof value === 'object' && value !== null && (value as { resourceType?: unknown }).resourceType === type;
}

/**
 * Accepts a CoverageEligibilityRequest, or a collection Bundle whose first entry is one.
 * @returns the request (and its Bundle), or the issues found.
 */
export function readEligibilityBody(body: unknown): EligibilityBody | { issues: OperationOutcomeIssue[] } {
  if (isResource(body, 'CoverageEligibilityRequest')) {
    return { request: body as unknown as CoverageEligibilityRequest };
  }
  if (isResource(body, 'Bundle')) {
    const bundle = body as unknown as Bundle;
    const first = bundle.entry?.[0]?.resource;
    const issues: OperationOutcomeIssue[] = [];
    if (bundle.type !== 'collection') {
      issues.push(errorIssue('invalid', 'Bundle.type must be "collection".', 'Bundle.type'));
    }
    if (!isResource(first, 'CoverageEligibilityRequest')) {
      issues.push(errorIssue('required', 'The first Bundle entry must be the CoverageEligibilityRequest.', 'Bundle.entry[0].resource'));
    }
    return issues.length > 0 ? { issues } : { request: first as CoverageEligibilityRequest, bundle };
  }
  const text = 'The body must be a CoverageEligibilityRequest, or a collection Bundle whose first entry is one.';
  return { issues: [errorIssue('invalid', text, 'CoverageEligibilityRequest')] };
}

/** Date the check is for: servicedDate, servicedPeriod.start, created, else today. */
export function eligibilityDate(request: CoverageEligibilityRequest, now: Date): string {
  const candidates = [request.servicedDate, request.servicedPeriod?.start, request.created];
  const found = candidates.find((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}/.test(d));
  return (found ?? now.toISOString()).slice(0, 10);
}

/** A reference that still means something outside the request Bundle (urn:uuid ones do not). */
function portable(reference: Reference | undefined): Pick<Reference, 'reference'> {
  const target = reference?.reference;
  return typeof target === 'string' && !target.startsWith('urn:') ? { reference: target } : {};
}

function requestReference(request: CoverageEligibilityRequest): CoverageEligibilityResponse['request'] {
  if (request.id) {
    return { reference: `CoverageEligibilityRequest/${request.id}` };
  }
  const identifier = request.identifier?.[0];
  return identifier ? { identifier } : { display: 'CoverageEligibilityRequest without id' };
}

/** The request's purposes, validation when it gives none. */
function purposes(request: CoverageEligibilityRequest): NonNullable<CoverageEligibilityRequest['purpose']> {
  return Array.isArray(request.purpose) && request.purpose.length > 0 ? request.purpose : ['validation'];
}

function envelope(input: EligibilityInput): CoverageEligibilityResponse {
  const { request, memberIdentifier } = input;
  return {
    resourceType: 'CoverageEligibilityResponse',
    id: input.responseId,
    status: 'active',
    purpose: purposes(request),
    patient: memberIdentifier ? { identifier: memberIdentifier } : request.patient,
    created: input.now.toISOString(),
    request: requestReference(request),
    insurer: { identifier: { system: 'urn:passerelle:participant', value: input.insurer.id } },
    outcome: 'complete',
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The plan's benefit per requested item (one Medical Care item when the request names none): the
 * share the patient pays (copay-percent), or `excluded` for a service the insurer never covers.
 */
export function benefitItems(request: CoverageEligibilityRequest, insurer: InsurerSeed): CoverageEligibilityResponseInsuranceItem[] {
  const requested: unknown[] = Array.isArray(request.item) && request.item.length > 0 ? request.item : [{}];
  return requested.map((raw) => {
    const item = isObject(raw) ? raw : {};
    const category = isObject(item.category) ? (item.category as CodeableConcept) : MEDICAL_CARE;
    const productOrService = isObject(item.productOrService) ? (item.productOrService as CodeableConcept) : undefined;
    const named = { category, ...(productOrService ? { productOrService } : {}) };
    if (isExcludedService(productOrService, insurer)) {
      return { ...named, excluded: true };
    }
    return { ...named, benefit: [{ type: COPAY_PERCENT, allowedUnsignedInt: 100 - insurer.payerSharePercent }] };
  });
}

/**
 * Answers an eligibility request: outcome "complete" with inforce true/false and the coverage period
 * for a known member, outcome "error" with code member-unknown otherwise. A cancelled coverage is not
 * in force. Purpose "benefits" adds the plan (coverage.display) and one item per requested item;
 * "discovery" adds the plan. A validation-only answer has neither.
 */
export function evaluateEligibility(input: EligibilityInput): CoverageEligibilityResponse {
  const { member, insurer, request } = input;
  if (!member) {
    const code = { coding: [{ system: ADJUDICATION_ERROR_SYSTEM, code: 'member-unknown', display: ADJUDICATION_ERRORS['member-unknown'] }] };
    return { ...envelope(input), outcome: 'error', ...inBothLanguages('disposition', { en: `Member unknown to ${insurer.name}.`, fr: `Adhérent inconnu de ${insurer.name}.` }), error: [{ code }] };
  }
  const date = eligibilityDate(request, input.now);
  const inforce = memberInForce(member, date);
  const wanted = purposes(request);
  const benefits = wanted.includes('benefits');
  const plan = benefits || wanted.includes('discovery') ? { display: `Plan ${member.plan}` } : {};
  const coverage = { ...portable(request.insurance?.[0]?.coverage), identifier: member.identifier, ...plan };
  const disposition = inforce
    ? { en: `Coverage in force on ${date} (${member.period.start} to ${member.period.end}).`, fr: `Couverture en vigueur le ${date} (du ${member.period.start} au ${member.period.end}).` }
    : notInForce(member, date);
  const insurance: CoverageEligibilityResponseInsurance = {
    coverage,
    inforce,
    benefitPeriod: member.period,
    ...(benefits ? { item: benefitItems(request, insurer) } : {}),
  };
  return { ...envelope(input), ...inBothLanguages('disposition', disposition), insurance: [insurance] };
}
