/**
 * The validators a submission runs, as a list in order (R4 conformance and the packs in force;
 * further rule packs join as further items). Each returns every issue it finds, never only the
 * first; a validator that crashes is a 500 for the request, never a pass and never a 4xx.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Conformance } from './conformance.js';
import type { PackVersion } from './packs.js';
import { VALIDATION_RULE_SYSTEM, type Language } from './rules.js';

/** What a validator sees: the parsed resource, the FHIRPath of its root, the reader's language and the packs in force. */
export interface ValidationTarget {
  readonly resource: Record<string, unknown>;
  readonly expression: string;
  readonly language: Language;
  readonly packs: readonly PackVersion[];
  /** The insurer whose packs these are (its Coverage profiles judge only the Coverages it pays). */
  readonly insurerId?: string;
}

/** One item of the validator list. */
export interface ResourceValidator {
  readonly name: string;
  validate(target: ValidationTarget): OperationOutcomeIssue[] | Promise<OperationOutcomeIssue[]>;
}

/** FHIR R4 conformance and the profiles of the packs in force, for the resource and everything inside it. */
export function conformanceValidator(conformance: Conformance): ResourceValidator {
  return {
    name: 'fhir-r4-and-packs',
    validate: ({ resource, expression, language, packs, insurerId }) => conformance.validate(resource, { expression, language, packs, insurerId }),
  };
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

/**
 * The same validators, telling onFailure the rule id of every error they find (for the metrics of
 * validation failures by rule): submissions count, $validate (an integrator's trial) does not.
 */
export function countingFailures(validators: readonly ResourceValidator[], onFailure: (rule: string) => void): ResourceValidator[] {
  return validators.map((validator) => ({
    name: validator.name,
    validate: async (target) => {
      const issues = await validator.validate(target);
      for (const issue of issues) {
        if (issue.severity !== 'error' && issue.severity !== 'fatal') continue;
        onFailure(issue.details?.coding?.find((c) => c.system === VALIDATION_RULE_SYSTEM)?.code ?? 'unknown');
      }
      return issues;
    },
  }));
}
