/**
 * FHIRPath expressions of mapping specs, compiled once with fhirpath.js: the claim side with the R4
 * model (choice types, FHIR primitives), the reply side on plain JSON. A spec whose expressions do not
 * compile, name an unknown %variable or fail on an empty claim is refused at load, so a mapping never
 * silently gives nothing.
 */
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';

/** A compiled expression: the values it gives on an input, with environment variables. */
export type Evaluator = (input: unknown, env: Readonly<Record<string, unknown>>) => unknown[];

/** The %variables claim-side expressions may use (mapClaim sets each, null when absent). */
export const CLAIM_VARIABLES = ['claim', 'patient', 'coverage', 'provider', 'insurer', 'claimId', 'providerId', 'insurerId', 'settings'] as const;

/** Variables fhirpath.js defines by itself. */
const BUILT_IN_VARIABLES = ['ucum', 'context', 'sct', 'loinc'];

const silent = { traceFn: () => undefined };
const cache = new Map<string, Evaluator>();

/**
 * Compiles an expression (cached by side, base and text); throws with fhirpath.js's message when it
 * does not parse. base: the element path of the input (Claim, Claim.item) on the claim side.
 */
export function compileExpression(expression: string, side: 'claim' | 'reply', base?: string): Evaluator {
  const key = `${side}\u0000${base ?? ''}\u0000${expression}`;
  let evaluator = cache.get(key);
  if (!evaluator) {
    const path = base ? { base, expression } : expression;
    evaluator = (side === 'claim' ? fhirpath.compile(path, r4Model, silent) : fhirpath.compile(path, undefined, silent)) as unknown as Evaluator;
    cache.set(key, evaluator);
  }
  return evaluator;
}

/** The %variables an expression names that are not among `known` (string literals skipped). */
export function unknownVariables(expression: string, known: readonly string[]): string[] {
  const code = expression.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  const names = [...code.matchAll(/%(`[^`]*`|[A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!.replace(/`/g, ''));
  return [...new Set(names)].filter((name) => !known.includes(name) && !BUILT_IN_VARIABLES.includes(name));
}

/** The settings an expression reads (%settings.memberSystem → memberSystem). */
export function settingsRead(expression: string): string[] {
  const code = expression.replace(/'(?:[^'\\]|\\.)*'/g, "''");
  return [...code.matchAll(/%settings\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}
