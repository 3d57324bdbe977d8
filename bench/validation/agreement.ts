/**
 * Agreement between validators: each one's errors reduced to a family of rule (unknown element,
 * cardinality, value, code, invariant <key>...) and a FHIRPath location in Passerelle's form
 * (Bundle.entry[i].resource...), then matched one to one, first by exact location, then by location
 * without list indices (medplum gives cardinality errors at the element's path, without indices).
 * Only errors count: warnings and information do not reject a claim.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** An error reduced for comparison. */
export interface Finding {
  /** Family of rule, comparable across validators: "cardinality", "invariant pas-claim-total"... */
  readonly family: string;
  readonly path: string;
  readonly message: string;
}

/** Errors one validator found and the other did not. */
export interface Disagreement {
  readonly onlyFirst: Finding[];
  readonly onlySecond: Finding[];
  readonly agreed: number;
}

const isError = (issue: OperationOutcomeIssue) => issue.severity === 'error' || issue.severity === 'fatal';
const pathOf = (issue: OperationOutcomeIssue) => (issue.expression?.[0] ?? '').replace(/\[x\]/g, '');
const textOf = (issue: OperationOutcomeIssue) => issue.details?.text ?? issue.diagnostics ?? '';

/** Passerelle's rule ids by family; any other rule id is an invariant key. */
const PASSERELLE_FAMILIES: Readonly<Record<string, string>> = {
  'fhir-unknown-element': 'unknown element', 'fhir-primitive-extension': 'unknown element',
  'fhir-cardinality-min': 'cardinality', 'fhir-cardinality-max': 'cardinality',
  'fhir-array-shape': 'array shape', 'fhir-type': 'value', 'fhir-format': 'value', 'ele-1': 'empty value',
  'fhir-binding-required': 'code', 'fhir-binding-extensible': 'code', 'fhir-fixed-value': 'fixed or pattern value',
  'fhir-slice-unmatched': 'slice', 'fhir-reference-target': 'reference target', 'fhir-choice-type': 'choice type',
  'fhir-resource-type': 'resource type', 'fhir-version-mismatch': 'resource type', 'fhir-profile-unknown': 'profile',
  'validation-issues-truncated': 'truncated',
};

export function passerelleFindings(issues: readonly OperationOutcomeIssue[]): Finding[] {
  return issues.filter(isError).map((issue) => {
    const rule = issue.details?.coding?.[1]?.code ?? 'unknown';
    return { family: PASSERELLE_FAMILIES[rule] ?? `invariant ${rule}`, path: pathOf(issue), message: textOf(issue) };
  });
}

/** medplum's messages by family (typeschema/validation.ts in @medplum/core 4.5). */
const MEDPLUM_FAMILIES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Invalid additional property/, 'unknown element'],
  [/^Missing required property|^Invalid number of values|^Incorrect number of values provided for slice/, 'cardinality'],
  [/^Expected (array of values|single value) for property/, 'array shape'],
  [/^Invalid JSON type|^Invalid \w+ format$|^Expected number to be|^Invalid numeric value|^String cannot be larger/, 'value'],
  [/^Invalid (empty|null|undefined) |^Invalid empty non-primitive|^String must contain non-whitespace/, 'empty value'],
  [/^Value did not match expected pattern/, 'fixed or pattern value'],
  [/^Invalid reference/, 'reference target'],
  [/^Conflicting choice of type/, 'choice type'],
  [/^Missing resource type/, 'resource type'],
];

/** medplum's errors, split into findings and invariants it could not evaluate (it reports those as failures too). */
export function medplumFindings(issues: readonly OperationOutcomeIssue[]): { findings: Finding[]; unevaluated: Array<Finding & { expression: string }> } {
  const errors = issues.filter(isError);
  const failedToEvaluate = new Set(errors.filter((i) => i.code === 'processing').map((i) => `${pathOf(i)}\u0000${fhirpathOf(i)}`));
  const findings: Finding[] = [];
  const unevaluated: Array<Finding & { expression: string }> = [];
  for (const issue of errors) {
    if (issue.code === 'processing') continue;
    const text = textOf(issue);
    const constraint = /^Constraint (\S+) not met/.exec(text)?.[1];
    const finding = { family: constraint ? `invariant ${constraint}` : familyOf(text), path: pathOf(issue), message: text };
    if (constraint && failedToEvaluate.has(`${finding.path}\u0000${fhirpathOf(issue)}`)) unevaluated.push({ ...finding, expression: fhirpathOf(issue) });
    else findings.push(finding);
  }
  return { findings: withoutUnindexedTwins(dedupe(findings)), unevaluated: dedupe(unevaluated) };
}

/**
 * medplum reports some errors of a Bundle's entries twice: once with list indices from the entry's own
 * validation, and once from the Bundle's without them ("Bundle.entry.resource.identifier"). Keeps the
 * indexed one.
 */
function withoutUnindexedTwins(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.path.includes('[') || !findings.some((other) =>
    other !== f && other.family === f.family && other.message === f.message && other.path !== f.path && withoutIndices(other.path) === f.path));
}

function familyOf(text: string): string {
  return MEDPLUM_FAMILIES.find(([pattern]) => pattern.test(text))?.[1] ?? 'other';
}

function fhirpathOf(issue: OperationOutcomeIssue): string {
  try {
    return String((JSON.parse(issue.diagnostics ?? '{}') as { fhirpath?: unknown }).fhirpath ?? '');
  } catch {
    return '';
  }
}

/** The ajv schema validator's errors (bench/schema-validator.ts), by the issue type it gives. */
export function schemaFindings(issues: readonly OperationOutcomeIssue[]): Finding[] {
  return issues.filter(isError).map((issue) => {
    const text = textOf(issue);
    const family = issue.code === 'required' ? (text.startsWith('An array') ? 'empty value' : 'cardinality')
      : issue.code === 'value' ? (text.endsWith('JSON type array') ? 'array shape' : 'value')
        : issue.code === 'code-invalid' ? 'code'
          : issue.code === 'not-supported' ? 'resource type'
            : text.startsWith('Unknown element') ? 'unknown element' : 'other';
    return { family, path: pathOf(issue), message: text };
  });
}

/**
 * Families that name the same defect in different validators: an empty string is an empty value to
 * Passerelle and medplum, and a string failing its pattern to the JSON schema.
 */
const MATCHING_FAMILY: Readonly<Record<string, string>> = { 'empty value': 'value' };
const matching = (family: string) => MATCHING_FAMILY[family] ?? family;

/** Matches two validators' findings one to one: same family and location, or same family and location without indices. */
export function compareFindings(first: readonly Finding[], second: readonly Finding[]): Disagreement {
  const remaining = [...second];
  const unmatched: Finding[] = [];
  let agreed = 0;
  const take = (finding: Finding, key: (f: Finding) => string) => {
    const index = remaining.findIndex((other) => key(other) === key(finding));
    if (index < 0) return false;
    remaining.splice(index, 1);
    agreed++;
    return true;
  };
  const exact = (f: Finding) => `${matching(f.family)}\u0000${f.path}`;
  const loose = (f: Finding) => `${matching(f.family)}\u0000${withoutIndices(f.path)}`;
  for (const finding of first) if (!take(finding, exact)) unmatched.push(finding);
  const onlyFirst = unmatched.filter((finding) => !take(finding, loose));
  return { onlyFirst, onlySecond: remaining, agreed };
}

export function withoutIndices(path: string): string {
  return path.replace(/\[\d+\]/g, '');
}

function dedupe<T extends Finding>(findings: readonly T[]): T[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.family}\u0000${f.path}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether a validator reported an expected error: same family, same location (or the same without indices). */
export function reports(findings: readonly Finding[], expected: { readonly family: string; readonly path: string }): boolean {
  return findings.some((f) => matching(f.family) === matching(expected.family)
    && (f.path === expected.path || withoutIndices(f.path) === withoutIndices(expected.path)));
}
