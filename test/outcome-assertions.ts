/**
 * The one assertion on gateway error answers, shared by the HTTP suites.
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import { GATEWAY_ERROR_SYSTEM, type GatewayErrorCode } from '../gateway/fhir/outcomes.js';
import type { HttpAnswer } from './harness.js';

/**
 * Asserts a gateway error answer: the status, FHIR JSON, an OperationOutcome whose every issue has a
 * severity, a code, a gateway error code and a readable text; returns the issues carrying `error`.
 */
export function expectOutcome(answer: HttpAnswer, status: number, error: GatewayErrorCode) {
  expect({ status: answer.status, resourceType: answer.body.resourceType }).toEqual({ status, resourceType: 'OperationOutcome' });
  expect(answer.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  const issues = (answer.body as unknown as OperationOutcome).issue ?? [];
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(issue.severity).toMatch(/^(fatal|error|warning|information)$/);
    expect(typeof issue.code).toBe('string');
    expect(issue.details?.coding?.[0]?.system).toBe(GATEWAY_ERROR_SYSTEM);
    expect(typeof issue.details?.coding?.[0]?.code).toBe('string');
    expect(issue.details?.text ?? '').toMatch(/^\S+( \S+){2,}/); // a sentence, not an empty text or a bare code
  }
  const matching = issues.filter((i) => i.details?.coding?.[0]?.code === error);
  expect(matching.map((i) => i.details?.coding?.[0]?.code)).toContain(error);
  return matching;
}
