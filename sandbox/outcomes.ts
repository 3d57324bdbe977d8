// One error model for the sandbox: handlers return a FhirAnswer (status + resource) and never touch the
// Express response; problems are OperationOutcomes whose issues each keep their code and expression.
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';

/** What a sandbox handler answers: an HTTP status, a FHIR resource, and optional extra headers. */
export interface FhirAnswer {
  readonly status: number;
  readonly body: Resource;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error issue with its FHIR issue type, text and optional FHIRPath expression. */
export function errorIssue(code: OperationOutcomeIssue['code'], diagnostics: string, expression?: string): OperationOutcomeIssue {
  return { severity: 'error', code, diagnostics, ...(expression ? { expression: [expression] } : {}) };
}

/** Wraps issues in an OperationOutcome. */
export function operationOutcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** An answer carrying an OperationOutcome. */
export function outcomeAnswer(status: number, issues: OperationOutcomeIssue[], headers?: Record<string, string>): FhirAnswer {
  return { status, body: operationOutcome(issues), ...(headers ? { headers } : {}) };
}

/** 404 for an unknown insurer or route. */
export function notFound(diagnostics: string): FhirAnswer {
  return outcomeAnswer(404, [errorIssue('not-found', diagnostics)]);
}

/** 422 listing every problem found in a request body. */
export function unprocessable(issues: OperationOutcomeIssue[]): FhirAnswer {
  return outcomeAnswer(422, issues);
}

/** 500 with a generic text: internal error messages never reach the client, only the log. */
export function internalError(): FhirAnswer {
  return outcomeAnswer(500, [errorIssue('exception', 'Internal error in the sandbox insurer.')]);
}
