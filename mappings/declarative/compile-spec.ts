/**
 * A validated spec made ready to run: every expression compiled once, patterns built, the settings it
 * reads listed. Each expression is tried on an empty claim (or an empty reply) so that an unknown
 * function or variable is found at load, not on the first real claim.
 */
import { isClaimElementPath } from '../claim-elements.js';
import { CLAIM_VARIABLES, compileExpression, settingsRead, unknownVariables, type Evaluator } from './expressions.js';
import type { FieldSpec, MappingSpec } from './spec-schema.js';

/** A field ready to evaluate. */
export interface CompiledField {
  readonly spec: FieldSpec;
  readonly evaluate?: Evaluator;
  readonly requiredWhen?: Evaluator;
  readonly pattern?: RegExp;
  /** Where issues point: the element, or the path with %claim written Claim (relative to the item for item fields). */
  readonly element: string;
}

/** The reply side's expressions, compiled. */
export interface CompiledReply {
  readonly claimId: Evaluator;
  readonly insurerReference?: Evaluator;
  readonly outcome: Evaluator;
  readonly disposition?: Evaluator;
  readonly items?: { readonly path: Evaluator; readonly sequence: Evaluator; readonly submitted?: Evaluator; readonly benefit?: Evaluator; readonly copay?: Evaluator;
    readonly reasonCode?: Evaluator; readonly reasonDisplay?: Evaluator };
  readonly total: { readonly submitted?: Evaluator; readonly benefit?: Evaluator; readonly copay?: Evaluator };
  readonly errors?: { readonly path: Evaluator; readonly code: Evaluator; readonly display?: Evaluator };
}

/** A spec ready to run. */
export interface CompiledSpec {
  readonly fields: readonly CompiledField[];
  readonly items?: { readonly name: string; readonly evaluate: Evaluator; readonly fields: readonly CompiledField[]; readonly fromClaimItems: boolean };
  readonly after: readonly CompiledField[];
  readonly reply: CompiledReply;
  /** The insurer settings the expressions read (%settings.x): each must be set. */
  readonly settingsRead: readonly string[];
}

/** A problem of a spec, at its JSON path. */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

const EMPTY_CLAIM = { resourceType: 'Claim' };
const EMPTY_ENV = Object.fromEntries(CLAIM_VARIABLES.map((name) => [name, name === 'settings' ? {} : null]));

/** Compiles a validated spec; problems are returned, not thrown, so the loader lists them all. */
function compileSpec(spec: MappingSpec): { compiled?: CompiledSpec; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const settings = new Set<string>();
  spec.claim.accepts.forEach((path, i) => {
    if (!isClaimElementPath(path)) problems.push({ path: `claim.accepts[${i}]`, message: `"${path}" is not an element of an R4 Claim` });
  });
  const claimExpression = (expression: string, where: string, base?: string): Evaluator | undefined => {
    for (const name of settingsRead(expression)) settings.add(name);
    return checked(expression, where, 'claim', problems, base);
  };
  const field = (f: FieldSpec, where: string, base?: string, relative = false): CompiledField => ({
    spec: f,
    evaluate: f.path === undefined ? undefined : claimExpression(f.path, `${where}.path`, base),
    requiredWhen: f.requiredWhen === undefined ? undefined : claimExpression(f.requiredWhen, `${where}.requiredWhen`, base),
    pattern: f.pattern === undefined ? undefined : new RegExp(`^(?:${f.pattern})$`, 'u'),
    element: f.element ?? (f.path === undefined ? f.name : relative ? f.path : claimElement(f.path)),
  });
  const items = spec.claim.items;
  const fromClaimItems = items !== undefined && /^(%claim\.|Claim\.)?item(\.where\(|$)/.test(items.path);
  const compiled: CompiledSpec = {
    fields: spec.claim.fields.map((f, i) => field(f, `claim.fields[${i}]`, 'Claim')),
    items: items && {
      name: items.name, fromClaimItems,
      evaluate: claimExpression(items.path, 'claim.items.path', 'Claim') ?? (() => []),
      fields: items.fields.map((f, i) => field(f, `claim.items.fields[${i}]`, fromClaimItems ? 'Claim.item' : undefined, true)),
    },
    after: spec.claim.after.map((f, i) => field(f, `claim.after[${i}]`, 'Claim')),
    reply: compileReply(spec, problems),
    settingsRead: [...settings],
  };
  return problems.length > 0 ? { problems } : { compiled, problems };
}

function compileReply(spec: MappingSpec, problems: SpecProblem[]): CompiledReply {
  const r = spec.reply;
  const reply = (expression: string | undefined, where: string): Evaluator | undefined =>
    expression === undefined ? undefined : checked(expression, `reply.${where}`, 'reply', problems);
  const needed = (expression: string, where: string): Evaluator => reply(expression, where) ?? (() => []);
  return {
    claimId: needed(r.claimId, 'claimId'),
    insurerReference: reply(r.insurerReference, 'insurerReference'),
    outcome: needed(r.outcome.path, 'outcome.path'),
    disposition: reply(r.disposition, 'disposition'),
    items: r.items && {
      path: needed(r.items.path, 'items.path'), sequence: needed(r.items.sequence, 'items.sequence'),
      submitted: reply(r.items.submitted, 'items.submitted'), benefit: reply(r.items.benefit, 'items.benefit'), copay: reply(r.items.copay, 'items.copay'),
      reasonCode: reply(r.items.reason?.code, 'items.reason.code'), reasonDisplay: reply(r.items.reason?.display, 'items.reason.display'),
    },
    total: { submitted: reply(r.total?.submitted, 'total.submitted'), benefit: reply(r.total?.benefit, 'total.benefit'), copay: reply(r.total?.copay, 'total.copay') },
    errors: r.errors && { path: needed(r.errors.path, 'errors.path'), code: needed(r.errors.code, 'errors.code'), display: reply(r.errors.display, 'errors.display') },
  };
}

/** Compiles and tries an expression; undefined (and a problem) when it cannot run. */
function checked(expression: string, where: string, side: 'claim' | 'reply', problems: SpecProblem[], base?: string): Evaluator | undefined {
  const unknown = unknownVariables(expression, side === 'claim' ? CLAIM_VARIABLES : []);
  if (unknown.length > 0) {
    const known = side === 'claim' ? `the variables are ${CLAIM_VARIABLES.map((v) => `%${v}`).join(', ')}` : 'reply expressions read the reply only';
    problems.push({ path: where, message: `unknown variable ${unknown.map((v) => `%${v}`).join(', ')}: ${known}` });
    return undefined;
  }
  let evaluate: Evaluator;
  try {
    evaluate = compileExpression(expression, side, base);
  } catch (err) {
    problems.push({ path: where, message: `does not compile: ${(err as Error).message}` });
    return undefined;
  }
  try {
    evaluate(side === 'claim' && base === 'Claim' ? EMPTY_CLAIM : {}, side === 'claim' ? EMPTY_ENV : {});
  } catch (err) {
    problems.push({ path: where, message: `fails on an empty ${side}: ${(err as Error).message}` });
    return undefined;
  }
  return evaluate;
}

/** A claim-side path as an element expression: %claim.x → Claim.x, %patient.x → Patient.x, %coverage.x → Coverage.x. */
function claimElement(path: string): string {
  return path.replace(/%claim\b/g, 'Claim').replace(/%patient\b/g, 'Patient').replace(/%coverage\b/g, 'Coverage');
}

const compiledSpecs = new WeakMap<MappingSpec, CompiledSpec>();

/** Compiles a spec and keeps the result for compiledSpec(); returns its problems (none: usable). */
export function checkSpec(spec: MappingSpec): SpecProblem[] {
  if (compiledSpecs.has(spec)) return [];
  const { compiled, problems } = compileSpec(spec);
  if (compiled) compiledSpecs.set(spec, compiled);
  return problems;
}

/** The compiled form of a spec (compiled on first use, then kept); throws listing the problems. */
export function compiledSpec(spec: MappingSpec): CompiledSpec {
  const problems = checkSpec(spec);
  const found = compiledSpecs.get(spec);
  if (!found) throw new Error(`mapping spec ${spec.id} is not usable: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return found;
}
