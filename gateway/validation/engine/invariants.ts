/**
 * FHIRPath invariants, compiled once with fhirpath.js and the R4 model, then evaluated on element
 * instances. An invariant whose expression cannot be compiled makes the engine refuse to load (a
 * published rule that silently never runs would be a pass that lies); an evaluation that throws is a
 * validator crash, reported as such by the caller.
 */
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { NATIVE_BY_EXPRESSION, NATIVE_BY_KEY, nativeKey } from './native-invariants.js';
import { compileSubset } from './fhirpath-subset.js';
import { realDate } from './compile.js';

type Json = Record<string, unknown>;

/** A compiled invariant. */
export interface CompiledInvariant {
  readonly key: string;
  /** The element path it is evaluated on (e.g. "Claim.item"). */
  readonly path: string;
  readonly severity: 'error' | 'warning';
  readonly human: string;
  readonly expression: string;
  /** True when the invariant holds for this element instance. */
  holds(instance: unknown, resource: Json, rootResource: Json, memo?: Map<unknown, unknown>): boolean;
}

const silent = { traceFn: () => undefined };

const has = (value: unknown, key: string) => isObject(value) && value[key] !== undefined;
const every = (value: unknown, key: string, test: (item: unknown) => boolean) => {
  const items = isObject(value) ? value[key] : undefined;
  return !Array.isArray(items) || items.every(test);
};

/**
 * Cheap, sound pre-checks of core invariants: when one answers true the invariant holds without
 * evaluating it (e.g. per-1 cannot fail on a Period without an end). When it answers false, fhirpath.js
 * judges. They keep FHIRPath off the common path; they never decide a failure.
 */
const TRIVIALLY_HOLDS: Readonly<Record<string, (instance: unknown) => boolean>> = {
  'dom-2': (r) => !has(r, 'contained'), 'dom-3': (r) => !has(r, 'contained'), 'dom-4': (r) => !has(r, 'contained'), 'dom-5': (r) => !has(r, 'contained'),
  'per-1': (p) => !has(p, 'start') || !has(p, 'end') || sameDatePrecisionInOrder((p as Json).start, (p as Json).end),
  'rng-2': (r) => !has(r, 'low') || !has(r, 'high'),
  'qty-3': (q) => !has(q, 'code') || has(q, 'system'),
  'att-1': (a) => !has(a, 'data') || has(a, 'contentType'),
  'cpt-2': (c) => !has(c, 'value') || has(c, 'system'),
  'ref-1': (r) => !isObject(r) || typeof r.reference !== 'string' || !r.reference.startsWith('#'),
  'org-1': (o) => has(o, 'identifier') || has(o, 'name'),
  'pat-1': (c) => has(c, 'name') || has(c, 'telecom') || has(c, 'address') || has(c, 'organization'),
  'bdl-1': (b) => !has(b, 'total'),
  'bdl-2': (b) => every(b, 'entry', (e) => !has(e, 'search')),
  'bdl-3': (b) => isObject(b) && !['batch', 'transaction', 'history'].includes(b.type as string) && every(b, 'entry', (e) => !has(e, 'request')),
  'bdl-4': (b) => isObject(b) && !['batch-response', 'transaction-response', 'history'].includes(b.type as string) && every(b, 'entry', (e) => !has(e, 'response')),
  'bdl-5': (e) => has(e, 'resource'),
  'bdl-7': (b) => {
    const urls = isObject(b) && Array.isArray(b.entry) ? b.entry.map((e) => (isObject(e) ? e.fullUrl : undefined)).filter((u) => u !== undefined) : [];
    return new Set(urls).size === urls.length;
  },
  'bdl-8': (e) => !isObject(e) || typeof e.fullUrl !== 'string' || !e.fullUrl.includes('/_history/'),
  'bdl-9': (b) => isObject(b) && b.type !== 'document', 'bdl-10': (b) => isObject(b) && b.type !== 'document',
  'bdl-11': (b) => isObject(b) && b.type !== 'document', 'bdl-12': (b) => isObject(b) && b.type !== 'message',
};

/**
 * Dates (no time) written to the same precision compare as their text does: the common Period of a
 * claim. Only possible months and days: fhirpath.js refuses to compare an impossible date, and judges it.
 */
const DATE = /^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$/;
const possibleDate = (text: string) => DATE.test(text) && realDate(text); // no 31 April, no 29 February 2025
function sameDatePrecisionInOrder(start: unknown, end: unknown): boolean {
  return typeof start === 'string' && typeof end === 'string' && start.length === end.length && start <= end && possibleDate(start) && possibleDate(end);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const cache = new Map<string, CompiledInvariant>();

/**
 * Compiles an invariant evaluated on elements at `basePath` (e.g. "Claim", "Claim.item", "Period").
 * The core's invariants carry trace() calls for debugging; they are removed.
 */
export function compileInvariant(spec: { key: string; severity: 'error' | 'warning'; human: string; expression: string }, basePath: string): CompiledInvariant {
  const cacheKey = `${basePath}\u0000${spec.key}\u0000${spec.expression}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const expression = spec.expression.replace(/\.trace\([^()]*\)/g, '');
  let evaluate: (input: unknown, env: Json) => unknown[];
  try {
    evaluate = fhirpath.compile({ base: basePath, expression }, r4Model, silent) as unknown as typeof evaluate;
  } catch (err) {
    throw new Error(`Invariant ${spec.key} on ${basePath} does not compile: ${(err as Error).message}`, { cause: err });
  }
  const trivially = TRIVIALLY_HOLDS[spec.key];
  const native = NATIVE_BY_KEY[spec.key] ?? NATIVE_BY_EXPRESSION.get(nativeKey(basePath, expression));
  // Most rules are plain paths, where(), exists() and = on codes: the native subset judges those, and
  // fhirpath.js whatever it leaves (fhirpath-subset.ts).
  const subset = native ? undefined : compileSubset(expression, basePath, r4Model);
  const compiled: CompiledInvariant = {
    key: spec.key, path: basePath, severity: spec.severity, human: spec.human, expression,
    holds(instance, resource, rootResource, memo = new Map()) {
      if (trivially?.(instance)) return true;
      if (native) return native(instance, resource, memo);
      const judged = subset?.(instance);
      if (judged) return judged.every((r) => r === true);
      const result = evaluate(instance, { resource, rootResource });
      // An invariant holds when it evaluates to true, or to empty (nothing to judge).
      return result.every((r) => r === true);
    },
  };
  cache.set(cacheKey, compiled);
  return compiled;
}
