/**
 * The validators a submission runs, as a list in order (schema now; profile packs and business rules
 * join as further items). Each returns every issue it finds, never only the first; a validator that
 * crashes is a 500 for the request, never a pass and never a 4xx.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { SchemaValidator } from './schema-validator.js';

/** What a validator sees: the parsed resource and the FHIRPath of its root. */
export interface ValidationTarget {
  readonly resource: Record<string, unknown>;
  readonly expression: string;
}

/** One item of the validator list. */
export interface ResourceValidator {
  readonly name: string;
  validate(target: ValidationTarget): OperationOutcomeIssue[] | Promise<OperationOutcomeIssue[]>;
}

/** The base FHIR R4 structural check. */
export function schemaValidator(schema: SchemaValidator): ResourceValidator {
  return { name: 'fhir-r4-schema', validate: ({ resource, expression }) => schema.validate(resource, expression) };
}

/** Runs every validator in order and returns all their issues. */
export async function runValidators(validators: readonly ResourceValidator[], target: ValidationTarget): Promise<OperationOutcomeIssue[]> {
  const issues: OperationOutcomeIssue[] = [];
  for (const validator of validators) issues.push(...(await validator.validate(target)));
  return issues;
}

/** True when any issue is an error or fatal. */
export function hasErrors(issues: readonly OperationOutcomeIssue[]): boolean {
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}
