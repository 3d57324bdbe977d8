/**
 * A claim bundle → the insurer's record, by a mapping spec: the claim fields, then the items (one
 * object per line under the items' name), then the after-fields. Everything that does not fit is a
 * MappingIssue; the record is still returned (without the values that did not fit) so callers can
 * show both.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { MappingIssue } from '../adapter.js';
import { unsupportedElements } from '../claim-elements.js';
import { currencyIssues } from './claim-currency.js';
import { claimEnvironment, type ClaimContext } from './claim-environment.js';
import { compiledSpec, type CompiledField } from './compile-spec.js';
import type { Evaluator } from './expressions.js';
import { fieldValue } from './field-values.js';
import type { MappingSpec } from './spec-schema.js';

export type { ClaimContext } from './claim-environment.js';

/** The insurer's record of a claim, and what of the claim it cannot carry. */
export interface MappedClaim {
  readonly record: Record<string, unknown>;
  readonly issues: MappingIssue[];
}

/** Maps the bundle's Claim to the spec's record; issues empty: the record carries the whole claim. */
export function mapClaim(spec: MappingSpec, bundle: Bundle, context: ClaimContext): MappedClaim {
  const compiled = compiledSpec(spec);
  const { claim, env } = claimEnvironment(bundle, context);
  const insurerName = spec.insurerName;
  const issues: MappingIssue[] = [
    ...unsupportedElements(claim, spec.claim.accepts, insurerName),
    ...currencyIssues(claim, spec.reply.currency, spec.claim.accepts, insurerName),
  ];
  const record: Record<string, unknown> = {};
  const put = (target: Record<string, unknown>, field: CompiledField, input: unknown, expression: string, subject: string, subjectFr?: string): void => {
    const given = field.evaluate ? run(field.evaluate, field.spec.name, input, env) : [field.spec.value];
    const required = field.spec.required || (field.requiredWhen !== undefined && run(field.requiredWhen, field.spec.name, input, env).includes(true));
    const { value, issues: found } = fieldValue(field, given, { insurerName, expression, subject, subjectFr }, required);
    issues.push(...found);
    // Absent values are left out rather than written null: the insurer's format marks them optional.
    if (value !== undefined) target[field.spec.name] = value;
  };
  for (const field of compiled.fields) put(record, field, claim, field.element, field.spec.name);
  const items = compiled.items;
  if (items) {
    const lines = run(items.evaluate, items.name, claim, env);
    record[items.name] = lines.map((item, i) => {
      const line: Record<string, unknown> = {};
      const at = itemExpression(claim.item, item, i, items.fromClaimItems ? undefined : spec.claim.items!.path);
      for (const field of items.fields) put(line, field, item, `${at}.${field.element}`, `${field.spec.name} of ${at}`, `${field.spec.name} de ${at}`);
      return line;
    });
  }
  for (const field of compiled.after) put(record, field, claim, field.element, field.spec.name);
  return { record, issues };
}

/** Runs a field's expression; a throw is the spec's fault, reported with the field's name and no claim data. */
function run(evaluate: Evaluator, name: string, input: unknown, env: Readonly<Record<string, unknown>>): unknown[] {
  try {
    return evaluate(input, env);
  } catch (err) {
    // fhirpath.js quotes the values it trips on: its message stays in the cause, out of logs.
    throw new Error(`mapping field ${name}: its path failed on claim data (a FHIRPath evaluation error; see the cause)`, { cause: err });
  }
}

/** Claim.item[i] for an item of the Claim (found by identity), else the items path with the position. */
function itemExpression(claimItems: readonly unknown[] | undefined, item: unknown, position: number, itemsPath?: string): string {
  const index = claimItems?.indexOf(item as never) ?? -1;
  if (index >= 0) return `Claim.item[${index}]`;
  return `${(itemsPath ?? 'Claim.item').replace(/%claim\b/g, 'Claim')}[${position}]`;
}
