/**
 * Which elements of a Claim an insurer's format takes. An adapter that maps a claim onto a narrower
 * format (a declarative mapping, openIMIS) must not drop what it cannot carry without a word: every
 * populated element outside the format's accepted paths becomes a coded issue the provider is shown.
 */
import type { Claim } from '@medplum/fhirtypes';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import type { MappingIssue } from './adapter.js';

/** Elements every format takes: they describe the resource, not the claim. */
const ALWAYS_ACCEPTED = ['Claim.id', 'Claim.meta', 'Claim.text', 'Claim.resourceType', 'Claim.language'];

/** The accepted paths of a format, with every ancestor of one (an element worth looking into). */
class AcceptedPaths {
  private readonly accepted: ReadonlySet<string>;
  private readonly ancestors = new Set<string>();

  constructor(accepts: readonly string[]) {
    this.accepted = new Set([...ALWAYS_ACCEPTED, ...accepts]);
    for (const path of this.accepted) {
      for (let end = path.lastIndexOf('.'); end > 0; end = path.lastIndexOf('.', end - 1)) this.ancestors.add(path.slice(0, end));
    }
  }

  /** True when the path or one of its ancestors is accepted. */
  accepts(path: string): boolean {
    if (this.accepted.has(path)) return true;
    for (let end = path.lastIndexOf('.'); end > 0; end = path.lastIndexOf('.', end - 1)) {
      if (this.accepted.has(path.slice(0, end))) return true;
    }
    return false;
  }

  /** True when some accepted path lies below this one. */
  leadsTo(path: string): boolean {
    return this.ancestors.has(path);
  }
}

const compiled = new WeakMap<readonly string[], AcceptedPaths>();

function acceptedPaths(accepts: readonly string[]): AcceptedPaths {
  let found = compiled.get(accepts);
  if (!found) {
    found = new AcceptedPaths(accepts);
    compiled.set(accepts, found);
  }
  return found;
}

/**
 * True when an element path without indexes (Claim.item.productOrService) is taken by a format
 * accepting `accepts`: the path itself or one of its ancestors is listed (or always accepted).
 */
export function acceptsPath(path: string, accepts: readonly string[]): boolean {
  return acceptedPaths(accepts).accepts(path);
}

/**
 * What of the claim a format accepting `accepts` cannot carry: one issue per populated element that is
 * not accepted, at the highest such element (Claim.item[1].modifier, not each of its codings).
 * Primitive extensions (_created) count as their element.
 */
export function unsupportedElements(claim: Claim, accepts: readonly string[], insurerName: string): MappingIssue[] {
  const found = new Map<string, MappingIssue>();
  walk(claim as unknown as Record<string, unknown>, 'Claim', 'Claim', acceptedPaths(accepts), (expression, path) => {
    if (!found.has(expression)) {
      found.set(expression, {
        code: 'mapping-unsupported-element', expression,
        message: {
          en: `${insurerName} does not take ${path}: send the claim without it or ask the insurer`,
          fr: `${insurerName} ne prend pas ${path} : envoyez la demande sans cet élément ou renseignez-vous auprès de l'assureur`,
        },
      });
    }
  });
  return [...found.values()];
}

type Report = (expression: string, path: string) => void;

/** Visits the object's elements; `path` has no indexes (for the accepted paths), `expression` has them. */
function walk(node: Record<string, unknown>, path: string, expression: string, accepted: AcceptedPaths, report: Report): void {
  for (const [key, value] of Object.entries(node)) {
    const name = key.startsWith('_') ? key.slice(1) : key;
    const candidates = elementPaths(path, name);
    if (candidates.some((p) => accepted.accepts(p)) || !populated(value)) continue;
    const below = candidates.find((p) => accepted.leadsTo(p));
    const childExpression = `${expression}.${name}`;
    if (below === undefined) {
      report(childExpression, candidates[0]!);
    } else if (Array.isArray(value)) {
      value.forEach((entry, i) => visit(entry, below, `${childExpression}[${i}]`, accepted, report, childExpression));
    } else {
      visit(value, below, childExpression, accepted, report, childExpression);
    }
  }
}

function visit(value: unknown, path: string, expression: string, accepted: AcceptedPaths, report: Report, reportAs: string): void {
  if (!populated(value)) return;
  // Only objects have children that may be accepted; a primitive under a path that merely leads to
  // accepted ones (say its extension is accepted, its value not) is itself not taken.
  if (isObject(value)) walk(value, path, expression, accepted, report);
  else report(reportAs, path);
}

/**
 * The element paths a JSON property stands for: its own, and for a choice type (servicedDate) the
 * choice element too (Claim.item.serviced), so a format may accept either.
 */
function elementPaths(parent: string, name: string): string[] {
  const own = `${parent}.${name}`;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 65 || c > 90) continue;
    const types = r4Model.choiceTypePaths[`${parent}.${name.slice(0, i)}`];
    if (types?.includes(name.slice(i))) return [own, `${parent}.${name.slice(0, i)}`];
  }
  return [own];
}

/** A value with content: not null, an empty string, or an array or object of such. */
function populated(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.some(populated);
  if (isObject(value)) return Object.values(value).some(populated);
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const CHOICE = Symbol('choice');

/**
 * True when a path names an element of an R4 Claim, data type elements included (Claim.total.value,
 * Claim.item.serviced, Claim.item.servicedDate): how a mapping's accepted paths are checked for typos.
 */
export function isClaimElementPath(path: string): boolean {
  if (ALWAYS_ACCEPTED.includes(path)) return true;
  const [root, ...segments] = path.split('.');
  if (root !== 'Claim' || segments.length === 0) return false;
  let base = 'Claim';
  for (const segment of segments) {
    const type = elementType(base, segment);
    if (type === undefined) return false;
    // The typed children of a choice element are not followed: each type has its own.
    if (type === CHOICE) return true;
    const own = `${base}.${segment}`;
    base = type === 'BackboneElement' || type === 'Element' ? (r4Model.pathsDefinedElsewhere[own] ?? own) : type;
  }
  return true;
}

/** The type of base.segment, looking through base's parent types (Quantity → Element). */
function elementType(base: string, segment: string): string | typeof CHOICE | undefined {
  for (let type: string | undefined = base; type; type = r4Model.type2Parent[type]) {
    const found = r4Model.path2Type[`${type}.${segment}`];
    if (found) return found;
    if (r4Model.choiceTypePaths[`${type}.${segment}`]) return CHOICE;
  }
  return undefined;
}
