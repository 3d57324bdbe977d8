/**
 * Invariants judged by native code instead of fhirpath.js, with the same answer.
 *
 * - By key: core invariants whose published expression fhirpath.js cannot evaluate (dom-3 uses
 *   descendants().as(canonical), which fhirpath.js refuses on collections: "Expected singleton").
 * - By expression: the packs' claim rules that run on every item of every claim. fhirpath.js spends
 *   3–60 µs per item on them (a 100-item claim: ~10 ms, 90% of its validation). An evaluator here is
 *   tied to the exact text of the expression and the element it is set on: when a pack changes the
 *   expression, fhirpath.js judges it again. test/native-invariants.test.ts runs both on generated
 *   claims and bundles and fails on any disagreement, and fails when an evaluator's expression is no
 *   longer published by a pack.
 *
 * Decimals follow fhirpath.js 4.11 (FP_Decimal_Native): JavaScript numbers, round(n) as
 * Math.round(x × 10ⁿ) / 10ⁿ, and equality after rounding both sides to 1e-8.
 */

type Json = Record<string, unknown>;

/**
 * Whether the invariant holds on an element instance (%resource: the resource that holds it). `memo`
 * lives as long as one validation: what an evaluator works out once per resource (the sequences of a
 * claim's items) is kept there, keyed by the resource.
 */
export type NativeEvaluator = (instance: unknown, resource: Json, memo: Map<unknown, unknown>) => boolean;

// ---- by key ---------------------------------------------------------------------------------------

/** dom-3: every contained resource is referenced ("#id") from elsewhere in the resource, or refers to its container ("#"). */
function dom3(resource: unknown): boolean {
  if (!isObject(resource) || !Array.isArray(resource.contained)) return true;
  const contained: unknown[] = resource.contained;
  const outside = new Set<string>();
  collectLocalReferences({ ...resource, contained: undefined }, outside);
  return contained.every((c) => {
    if (!isObject(c) || typeof c.id !== 'string') return true;
    if (outside.has(`#${c.id}`)) return true;
    const inside = new Set<string>();
    collectLocalReferences(c, inside);
    return inside.has('#') || contained.some((other) => other !== c && isObject(other) && localReferencesOf(other).has(`#${c.id}`));
  });
}

export const NATIVE_BY_KEY: Readonly<Record<string, NativeEvaluator>> = { 'dom-3': dom3 };

function localReferencesOf(value: unknown): Set<string> {
  const found = new Set<string>();
  collectLocalReferences(value, found);
  return found;
}

/** Every Reference.reference and every canonical/uri-like string starting with "#" in a value. */
function collectLocalReferences(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectLocalReferences(v, into);
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && (key === 'reference' || v.startsWith('#'))) into.add(v);
      else collectLocalReferences(v, into);
    }
  }
}

// ---- by expression --------------------------------------------------------------------------------

/** fhirpath.js's decimal equality: both sides rounded to 1e-8. */
const roundToMaxPrecision = (x: number) => Math.round(x / 1e-8) * 1e-8;
const decimalEquals = (a: number, b: number) => roundToMaxPrecision(a) === roundToMaxPrecision(b);
const roundTo = (x: number, places: number) => {
  const scale = 10 ** places;
  return Math.round(x * scale) / scale;
};

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const field = (value: unknown, key: string): unknown => (isObject(value) ? value[key] : undefined);
const numberAt = (value: unknown, key: string): number | undefined => {
  const v = field(value, key);
  return typeof v === 'number' ? v : undefined;
};

/**
 * What `compute` gives for a resource, worked out once per validation: kept in the memo under the
 * evaluator and the resource (a memo lives as long as one validation, so nothing outlives a change).
 */
function perResource<T>(memo: Map<unknown, unknown>, evaluator: NativeEvaluator, resource: Json, compute: () => T): T {
  let byResource = memo.get(evaluator) as Map<Json, T> | undefined;
  if (!byResource) memo.set(evaluator, byResource = new Map());
  if (!byResource.has(resource)) byResource.set(resource, compute());
  return byResource.get(resource)!;
}

/** pas-claim-total, on Claim.total. */
function claimTotal(total: unknown, claim: Json): boolean {
  const value = numberAt(total, 'value');
  const items = list(claim.item);
  if (value === undefined || items.length === 0) return true;
  let sum = 0;
  for (const item of items) {
    const net = numberAt(field(item, 'net'), 'value');
    if (net === undefined) return true;
    sum += net;
  }
  return decimalEquals(value, sum);
}

/** pas-claim-item-net, on Claim.item. */
function itemNet(item: unknown): boolean {
  const unitPrice = numberAt(field(item, 'unitPrice'), 'value');
  const net = numberAt(field(item, 'net'), 'value');
  if (unitPrice === undefined || net === undefined) return true;
  const quantity = numberAt(field(item, 'quantity'), 'value') ?? 1;
  const factor = numberAt(item, 'factor') ?? 1;
  return decimalEquals(roundTo(quantity * unitPrice * factor, 2), roundTo(net, 2));
}

/** pas-claim-item-sequence, on Claim.item: no other item has its sequence (an item without one fails, as in FHIRPath). */
function itemSequence(item: unknown, claim: Json, memo: Map<unknown, unknown>): boolean {
  const sequence = field(item, 'sequence');
  if (sequence === undefined) return false;
  const counts = perResource(memo, itemSequence, claim, () => {
    const found = new Map<unknown, number>();
    for (const other of list(claim.item)) {
      const s = field(other, 'sequence');
      found.set(s, (found.get(s) ?? 0) + 1);
    }
    return found;
  });
  return counts.get(sequence) === 1;
}

/** pas-claim-currency, on Claim: at most one currency among the total and the items' amounts. */
function claimCurrency(claim: unknown): boolean {
  const currencies = new Set<unknown>();
  const add = (money: unknown) => {
    const currency = field(money, 'currency');
    if (currency !== undefined) currencies.add(currency);
  };
  add(field(claim, 'total'));
  for (const item of list(field(claim, 'item'))) {
    add(field(item, 'net'));
    add(field(item, 'unitPrice'));
  }
  return currencies.size <= 1;
}

/**
 * pas-bundle-payor, on Bundle: when the first entry is a Claim, each Coverage entry its focal insurance
 * points at names the claim's insurer among its payors, by reference or by identifier system and value
 * (an element absent on either side never matches, as FHIRPath's = gives empty).
 */
function bundlePayor(bundle: unknown): boolean {
  const entries = list(field(bundle, 'entry'));
  const claim = field(entries[0], 'resource');
  if (field(claim, 'resourceType') !== 'Claim') return true;
  const insurer = field(claim, 'insurer');
  const focal: unknown[] = list(field(claim, 'insurance')).filter((i) => field(i, 'focal') === true).map((i) => field(field(i, 'coverage'), 'reference')).filter((r) => r !== undefined);
  if (insurer === undefined || focal.length === 0) return true;
  const same = (a: unknown, b: unknown) => a !== undefined && b !== undefined && a === b;
  const insurerId = field(insurer, 'identifier');
  return entries.filter((e) => focal.includes(field(e, 'fullUrl')) && field(field(e, 'resource'), 'resourceType') === 'Coverage').every((e) => {
    return list(field(field(e, 'resource'), 'payor')).some((payor) => {
      const id = field(payor, 'identifier');
      return same(field(payor, 'reference'), field(insurer, 'reference'))
        || (field(id, 'value') !== undefined && same(field(id, 'system'), field(insurerId, 'system')) && same(field(id, 'value'), field(insurerId, 'value')));
    });
  });
}

/** pas-claim-*-ref, on Claim.item: every sequence the item points at is that of an entry of the list. */
const pointsInto = (pointer: string, listName: string): NativeEvaluator => (item, claim) => {
  const pointers = list(field(item, pointer));
  if (pointers.length === 0) return true;
  const targets = list(claim[listName]).map((t) => field(t, 'sequence'));
  return pointers.every((p) => targets.includes(p));
};

/** pas-claim-service-dates, on Claim.item: each service day within the billable period, at the precision both give. */
function serviceDates(item: unknown, claim: Json): boolean {
  const period = field(claim, 'billablePeriod');
  const start = field(period, 'start');
  const end = field(period, 'end');
  const days = [field(item, 'servicedDate'), field(field(item, 'servicedPeriod'), 'start'), field(field(item, 'servicedPeriod'), 'end')];
  for (const value of days) {
    if (value === undefined) continue;
    if (typeof value !== 'string') return true;
    const day = value.slice(0, 10);
    if (typeof start === 'string') {
      const from = start.slice(0, 10);
      if (day.slice(0, from.length) < start.slice(0, day.length)) return false;
    }
    if (typeof end === 'string') {
      const to = end.slice(0, 10);
      if (day.slice(0, to.length) > end.slice(0, day.length)) return false;
    }
  }
  return true;
}

/**
 * pas-bundle-references, on Bundle.entry: every urn:uuid:/urn:oid: Reference.reference below the entry's
 * resource is the fullUrl of an entry. Besides Reference.reference, R4 has three string elements named
 * "reference", all uri: Expression.reference (an Expression always has a language, a Reference never),
 * DetectedIssue.reference and Immunization.education.reference. A test checks that list against the
 * definitions.
 */
function bundleReferences(entry: unknown, bundle: Json, memo: Map<unknown, unknown>): boolean {
  const resource = field(entry, 'resource');
  if (resource === undefined) return true;
  const resolves = (reference: string) => perResource(memo, bundleReferences, bundle, () => new Set(list(bundle.entry).map((e) => field(e, 'fullUrl')))).has(reference);
  const visit = (value: unknown, uriReference: boolean): boolean => {
    if (Array.isArray(value)) return value.every((v) => visit(v, uriReference));
    if (!isObject(value)) return true;
    const isUri = uriReference || value.resourceType === 'DetectedIssue' || value.language !== undefined;
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string') {
        if (key === 'reference' && !isUri && (v.startsWith('urn:uuid:') || v.startsWith('urn:oid:')) && !resolves(v)) return false;
      } else if (!visit(v, key === 'education' && value.resourceType === 'Immunization')) return false;
    }
    return true;
  };
  // The entry's resource itself is not one of its descendants.
  return isObject(resource) ? Object.entries(resource).every(([key, v]) => typeof v === 'string' || visit(v, key === 'education' && resource.resourceType === 'Immunization')) : true;
}

/** Native evaluators by element path and exact expression text, as published in the packs. */
export const NATIVE_BY_EXPRESSION: ReadonlyMap<string, NativeEvaluator> = new Map<string, NativeEvaluator>([
  [nativeKey('Claim.total', '(value.exists() and %resource.item.exists() and %resource.item.all(net.value.exists())) implies value = %resource.item.net.value.sum()'), claimTotal],
  [nativeKey('Claim.item', '(unitPrice.value.exists() and net.value.exists()) implies (iif(quantity.value.exists(), quantity.value, 1) * unitPrice.value * iif(factor.exists(), factor, 1)).round(2) = net.value.round(2)'), itemNet],
  [nativeKey('Claim.item', '%resource.item.where(sequence = %context.sequence).count() = 1'), itemSequence],
  [nativeKey('Claim', '(total.currency | item.net.currency | item.unitPrice.currency).count() <= 1'), claimCurrency],
  [nativeKey('Claim.item', 'diagnosisSequence.all($this in %resource.diagnosis.sequence)'), pointsInto('diagnosisSequence', 'diagnosis')],
  [nativeKey('Claim.item', 'careTeamSequence.all($this in %resource.careTeam.sequence)'), pointsInto('careTeamSequence', 'careTeam')],
  [nativeKey('Claim.item', 'informationSequence.all($this in %resource.supportingInfo.sequence)'), pointsInto('informationSequence', 'supportingInfo')],
  [nativeKey('Claim.item', 'procedureSequence.all($this in %resource.procedure.sequence)'), pointsInto('procedureSequence', 'procedure')],
  [nativeKey('Claim.item', '(servicedDate | servicedPeriod.start | servicedPeriod.end).select(toString().substring(0, 10)).all((%resource.billablePeriod.start.empty() or iif($this.length() = 4 or %resource.billablePeriod.start.toString().length() = 4, $this.substring(0, 4) >= %resource.billablePeriod.start.toString().substring(0, 4), iif($this.length() = 7 or %resource.billablePeriod.start.toString().length() = 7, $this.substring(0, 7) >= %resource.billablePeriod.start.toString().substring(0, 7), $this >= %resource.billablePeriod.start.toString().substring(0, 10)))) and (%resource.billablePeriod.end.empty() or iif($this.length() = 4 or %resource.billablePeriod.end.toString().length() = 4, $this.substring(0, 4) <= %resource.billablePeriod.end.toString().substring(0, 4), iif($this.length() = 7 or %resource.billablePeriod.end.toString().length() = 7, $this.substring(0, 7) <= %resource.billablePeriod.end.toString().substring(0, 7), $this <= %resource.billablePeriod.end.toString().substring(0, 10)))))'), serviceDates],
  [nativeKey('Bundle', "entry.first().resource.ofType(Claim).all(defineVariable('insurer', insurer).defineVariable('coverages', insurance.where(focal = true).coverage.reference).select(%context.entry.where(fullUrl in %coverages).resource.ofType(Coverage)).all(%insurer.empty() or payor.exists((reference.exists() and reference = %insurer.reference) or (identifier.value.exists() and identifier.system = %insurer.identifier.system and identifier.value = %insurer.identifier.value))))"), bundlePayor],
  [nativeKey('Bundle.entry', "resource.descendants().ofType(Reference).reference.where(startsWith('urn:uuid:') or startsWith('urn:oid:')).exclude(%resource.entry.fullUrl).empty()"), bundleReferences],
]);

/** The key of a native evaluator: the element path the invariant is set on and its expression. */
export function nativeKey(basePath: string, expression: string): string {
  return `${basePath}\u0000${expression}`;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
