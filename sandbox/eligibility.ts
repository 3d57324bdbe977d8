// Eligibility checks: is this member covered by this insurer on the date asked about? Reading the
// request is lenient (a bare CoverageEligibilityRequest or a collection Bundle led by one); the answer
// is deterministic from the member ranges in the seed and the sandbox clock.
import type {
  Bundle,
  CoverageEligibilityRequest,
  CoverageEligibilityResponse,
  Identifier,
  OperationOutcomeIssue,
  Reference,
} from '@medplum/fhirtypes';
import { ADJUDICATION_ERROR_SYSTEM, ADJUDICATION_ERRORS } from './adjudication-codes.js';
import { dateInPeriod } from './claim-amounts.js';
import { errorIssue } from './outcomes.js';
import type { MemberCoverage } from './registry.js';
import type { InsurerSeed } from './seed.js';

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

function envelope(input: EligibilityInput): CoverageEligibilityResponse {
  const { request, memberIdentifier } = input;
  return {
    resourceType: 'CoverageEligibilityResponse',
    id: input.responseId,
    status: 'active',
    purpose: Array.isArray(request.purpose) && request.purpose.length > 0 ? request.purpose : ['validation'],
    patient: memberIdentifier ? { identifier: memberIdentifier } : request.patient,
    created: input.now.toISOString(),
    request: requestReference(request),
    insurer: { identifier: { system: 'urn:passerelle:participant', value: input.insurer.id } },
    outcome: 'complete',
  };
}

/**
 * Answers an eligibility request: outcome "complete" with inforce true/false and the coverage period
 * for a known member, outcome "error" with code member-unknown otherwise.
 */
export function evaluateEligibility(input: EligibilityInput): CoverageEligibilityResponse {
  const { member, insurer, request } = input;
  if (!member) {
    const code = { coding: [{ system: ADJUDICATION_ERROR_SYSTEM, code: 'member-unknown', display: ADJUDICATION_ERRORS['member-unknown'] }] };
    return { ...envelope(input), outcome: 'error', disposition: `Member unknown to ${insurer.name}.`, error: [{ code }] };
  }
  const date = eligibilityDate(request, input.now);
  const inforce = dateInPeriod(date, member.period);
  const coverage = { ...portable(request.insurance?.[0]?.coverage), identifier: member.identifier };
  const disposition = inforce
    ? `Coverage in force on ${date} (${member.period.start} to ${member.period.end}).`
    : `Coverage not in force on ${date} (covered from ${member.period.start} to ${member.period.end}).`;
  return { ...envelope(input), disposition, insurance: [{ coverage, inforce, benefitPeriod: member.period }] };
}
