/**
 * One error model for the whole gateway (after Medplum's core/outcomes.ts): issue factories, one
 * throwable carrying an HTTP status and an OperationOutcome, and stable gateway error codes, each
 * catalogued in docs/errors.md (a test keeps the two in step).
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Code system of the gateway's stable error codes (OperationOutcome.issue.details.coding). */
export const GATEWAY_ERROR_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/gateway-error';

/** Every stable error code the gateway emits, with its HTTP status. */
export const GATEWAY_ERRORS = {
  'content-type': 415,
  'body-too-large': 413,
  'body-unreadable': 400,
  'json-malformed': 400,
  'json-too-deep': 400,
  'json-forbidden-key': 400,
  'json-array-too-long': 400,
  'json-not-object': 400,
  'jwe-invalid': 400,
  'resource-type': 422,
  'bundle-type': 422,
  'bundle-first-entry': 422,
  'validation': 422,
  'reference-unresolved': 422,
  'provider-not-caller': 422,
  'insurer-unknown': 422,
  'claim-response-request': 422,
  'search-parameter': 400,
  'unauthenticated': 401,
  'signature-invalid': 401,
  'insufficient-scope': 403,
  'not-found': 404,
  'purged': 410,
  'idempotency-in-flight': 409,
  'idempotency-mismatch': 422,
  'idempotency-key-invalid': 400,
  'not-dead-letter': 409,
  'participant-exists': 409,
  'participant-invalid': 422,
  'rate-limited': 429,
  'bundle-too-many-entries': 422,
  'eligibility-not-offered': 422,
  'member-identifier-missing': 422,
  'member-unknown': 422,
  'coverage-not-in-force': 422,
  'eligibility-unverified': 202,
  'task-unsupported': 422,
  'related-claim-unknown': 422,
  'poll-ack-invalid': 422,
  'cancel-too-late': 409,
  'cancel-not-offered': 409,
  'preauth-unknown': 422,
  'preauth-expired': 422,
  'mapping-unsupported-element': 422,
  'mapping-required-missing': 422,
  'mapping-code-unmapped': 422,
  'mapping-value-invalid': 422,
  'insurer-unavailable': 503,
  'unavailable': 503,
  'internal': 500,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

type IssueType = OperationOutcomeIssue['code'];

/** One issue, as the gateway builds it: every issue keeps its own severity, code and expression. */
export interface IssueSpec {
  readonly error: GatewayErrorCode;
  readonly message: string;
  readonly expression?: string;
  readonly severity?: 'fatal' | 'error' | 'warning' | 'information';
  readonly type?: IssueType;
}

const defaultIssueType: Partial<Record<GatewayErrorCode, IssueType>> = {
  'json-malformed': 'structure', 'json-too-deep': 'too-costly', 'json-array-too-long': 'too-costly', 'json-forbidden-key': 'security',
  'json-not-object': 'structure', 'jwe-invalid': 'security', 'body-too-large': 'too-costly', 'content-type': 'not-supported',
  'validation': 'structure', 'reference-unresolved': 'not-found',
  'provider-not-caller': 'forbidden', 'unauthenticated': 'login', 'signature-invalid': 'security', 'insufficient-scope': 'forbidden',
  'not-found': 'not-found', 'purged': 'deleted', 'idempotency-in-flight': 'conflict', 'idempotency-mismatch': 'conflict', 'not-dead-letter': 'business-rule', 'participant-exists': 'duplicate', 'participant-invalid': 'invalid',
  'eligibility-not-offered': 'not-supported', 'member-identifier-missing': 'required', 'member-unknown': 'business-rule',
  'coverage-not-in-force': 'business-rule', 'eligibility-unverified': 'incomplete', 'insurer-unavailable': 'transient',
  'task-unsupported': 'not-supported', 'related-claim-unknown': 'not-found', 'poll-ack-invalid': 'invalid', 'cancel-too-late': 'business-rule', 'cancel-not-offered': 'not-supported', 'preauth-unknown': 'not-found', 'preauth-expired': 'business-rule',
  'mapping-unsupported-element': 'not-supported', 'mapping-required-missing': 'required', 'mapping-code-unmapped': 'code-invalid',
  'mapping-value-invalid': 'value',
  'unavailable': 'transient', 'rate-limited': 'throttled', 'bundle-too-many-entries': 'too-costly', 'internal': 'exception',
};

/** Builds one OperationOutcome issue. */
export function issue(spec: IssueSpec): OperationOutcomeIssue {
  return {
    severity: spec.severity ?? 'error',
    code: spec.type ?? defaultIssueType[spec.error] ?? 'invalid',
    details: { coding: [{ system: GATEWAY_ERROR_SYSTEM, code: spec.error }], text: spec.message },
    diagnostics: spec.message,
    ...(spec.expression ? { expression: [spec.expression] } : {}),
  };
}

/** Wraps issues in an OperationOutcome. */
export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The one throwable of the gateway: an HTTP status and the OperationOutcome to answer with. */
export class OperationOutcomeError extends Error {
  /** For a 503: when to try again (else the error handler's default). */
  retryAfterSeconds?: number;

  constructor(readonly status: number, readonly outcome: OperationOutcome) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`);
    this.name = 'OperationOutcomeError';
  }
}

/** Error for one gateway error code; the HTTP status comes from the catalogue. */
export function gatewayError(error: GatewayErrorCode, message: string, expression?: string): OperationOutcomeError {
  return new OperationOutcomeError(GATEWAY_ERRORS[error], outcome([issue({ error, message, expression })]));
}

/** Error carrying several issues (all reported, never only the first). */
export function invalid(issues: OperationOutcomeIssue[], status = 422): OperationOutcomeError {
  return new OperationOutcomeError(status, outcome(issues));
}

/** 404 that says nothing about whether the resource exists for someone else. */
export function notFound(resourceType: string, id: string): OperationOutcomeError {
  return gatewayError('not-found', `${resourceType}/${id} is not known`);
}

/** The generic 500 outcome: internal messages never reach the client. */
export function internalErrorOutcome(): OperationOutcome {
  return outcome([issue({ error: 'internal', message: 'Internal error; it has been logged' })]);
}

