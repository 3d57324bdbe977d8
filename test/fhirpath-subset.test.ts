/**
 * The native FHIRPath subset (gateway/validation/engine/fhirpath-subset.ts) gives fhirpath.js's answer
 * on every invariant it takes: all those published by R4 and by the packs, each run by both on the
 * claim fixtures and on thousands of mutations of them (elements removed, replaced by other values,
 * given an extension, a choice type or a date; codes and systems the rules look for swapped in and
 * out). Where the subset abandons an instance, fhirpath.js judges it, so only its answers count; the
 * test also checks that it answers often, and both ways.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { describe, expect, test } from '@jest/globals';
import { coreDefinitions } from '../gateway/validation/engine/definitions.js';
import { compileSubset } from '../gateway/validation/engine/fhirpath-subset.js';
import { compileInvariant } from '../gateway/validation/engine/invariants.js';
import { instancesAt } from './element-instances.js';

type Json = Record<string, unknown>;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the FHIRPath subset, by hand', () => {
  const subset = (expression: string, base: string) => compileSubset(expression, base, r4Model);
  const holds = (expression: string, base: string, instance: unknown) => subset(expression, base)?.(instance);

  test('compiles the shapes of the packs\' rules, and leaves the rest to fhirpath.js', () => {
    for (const [expression, base] of [
      ["coding.where(system = 'urn:x' and code.exists()).exists()", 'Claim.item.productOrService'],
      ["(total.currency | item.net.currency).all($this = 'XOF')", 'Claim'],
      ['insurance.where(focal = true).count() = 1', 'Claim'],
      ['insurer.all(reference.exists() or identifier.value.exists()) implies provider.empty().not()', 'Claim'],
      ["status != 'draft'", 'Claim'],
      ['start.hasValue().not() or end.hasValue().not()', 'Period'],
      ["identifier.where(system = 'urn:x').value.all(matches('^M[0-9]{4}$'))", 'Patient'],
      ['birthDate.empty() or birthDate.toString() <= today().toString()', 'Patient'],
      ['item.count() >= 1 and item.all(sequence > 0)', 'Claim'],
    ]) expect([expression, subset(expression!, base!) !== undefined]).toEqual([expression, true]);
    for (const expression of [
      '%resource.item.count() = 1', 'identifier.value.matches(%pattern)', "status.matches('[')", "status.matches('')", "status.matches('a', 'i')",
      'billablePeriod.start <= billablePeriod.end', 'total.value > 0', 'today() <= billablePeriod.start', 'item.sequence.toString().exists()',
      "status < 1", 'created.today().exists()', 'true < false',
      'Claim.item.exists()', 'contained.ofType(Patient).exists()', 'children().count() > id.count()', 'total.value = 1', 'total.value = 1.5',
      'item.exists() xor total.exists()', "status = 'a\\nb'", 'resourceType.exists()', '$index = 0', 'item.exists() // note',
      "billablePeriod.start = '2026'", 'extension.value.exists()', "item.sequence = 'x'", 'status.value.exists()', 'nonsense.exists()', 'item.hasValue()',
    ]) expect([expression, subset(expression, 'Claim')]).toEqual([expression, undefined]);
  });

  test('follows FHIRPath: empty propagates through =, and/or/implies are three-valued, where() keeps true only', () => {
    expect(holds("system = 'urn:x'", 'Coding', {})).toEqual([]);
    expect(holds("system = 'urn:x'", 'Coding', { system: 'urn:x' })).toEqual([true]);
    expect(holds("system != 'urn:x'", 'Coding', { system: 'urn:y' })).toEqual([true]);
    expect(holds("code = 'x' and display = 'y'", 'Coding', { display: 'z' })).toEqual([false]);
    expect(holds("code = 'x' and display = 'y'", 'Coding', { display: 'y' })).toEqual([]);
    expect(holds("code = 'x' or display = 'y'", 'Coding', { display: 'y' })).toEqual([true]);
    expect(holds("code = 'x' implies display = 'y'", 'Coding', {})).toEqual([]);
    expect(holds("code = 'x' implies display = 'y'", 'Coding', { code: 'y' })).toEqual([true]);
    expect(holds("coding.where(system = 'urn:x').count()", 'CodeableConcept', { coding: [{ system: 'urn:x' }, {}, { system: 'urn:y' }, { system: 'urn:x' }] })).toEqual([2]);
    expect(holds("(total.currency | item.net.currency | item.unitPrice.currency).all($this = 'XOF')", 'Claim', { total: { currency: 'XOF' }, item: [{ net: { currency: 'XOF' } }] })).toEqual([true]);
    expect(holds('(total.currency | item.net.currency).count()', 'Claim', { total: { currency: 'XOF' }, item: [{ net: { currency: 'XOF' } }, { net: { currency: 'EUR' } }] })).toEqual([2]);
    expect(holds('item.all(sequence.exists())', 'Claim', {})).toEqual([true]);
    expect(holds('start.hasValue().not()', 'Period', { start: '2026' })).toEqual([false]);
    // matches() searches (it is not anchored unless the pattern is), in single-line mode.
    expect(holds("gender.matches('al')", 'Patient', { gender: 'male' })).toEqual([true]);
    expect(holds("gender.matches('^al')", 'Patient', { gender: 'male' })).toEqual([false]);
    expect(holds("name.family.all(matches('^a.b$'))", 'Patient', { name: [{ family: 'a\nb' }, { family: 'axb' }] })).toEqual([true]);
    expect(holds("gender.matches('x')", 'Patient', {})).toEqual([]);
    // Strings and integers order as in JavaScript; today() is the local date, written as fhirpath.js writes it.
    expect(holds("gender < 'n'", 'Patient', { gender: 'male' })).toEqual([true]);
    expect(holds('sequence >= 2', 'Claim.item', { sequence: 10 })).toEqual([true]);
    expect(holds("sequence > 2", 'Claim.item', {})).toEqual([]);
    const local = fhirpath.evaluate({}, 'today().toString()', {}, r4Model) as string[];
    expect(holds('today().toString()', 'Patient', {})).toEqual(local);
    expect(holds('birthDate.toString() <= today().toString()', 'Patient', { birthDate: '9999' })).toEqual([false]);
  });

  test('abandons, for fhirpath.js to judge, an instance the model would read otherwise', () => {
    expect(holds("system = 'urn:x'", 'Coding', { system: 'urn:x', _system: { extension: [{ url: 'u' }] } })).toBeUndefined();
    expect(holds("given = 'a'", 'HumanName', { given: ['a', 'b'] })).toBeUndefined();
    expect(holds('given.exists()', 'HumanName', { given: ['a', null], _given: [null, { extension: [{ url: 'u' }] }] })).toBeUndefined();
    expect(holds("name.family.matches('a')", 'Patient', { name: [{ family: 'a' }, { family: 'b' }] })).toBeUndefined();
    expect(holds('birthDate.toString()', 'Patient', { birthDate: 1980 })).toBeUndefined();
  });
});

describe('pre-checks that spare an evaluation', () => {
  test('per-1 (a Period starts before it ends): the pre-check never holds where fhirpath.js finds it broken', () => {
    const per1 = compileInvariant({ key: 'per-1', severity: 'error', human: 'start <= end', expression: 'start.hasValue().not() or end.hasValue().not() or (start <= end)' }, 'Period');
    const evaluate = fhirpath.compile({ base: 'Period', expression: per1.expression }, r4Model) as unknown as (input: unknown) => unknown[];
    const two = fc.integer({ min: 0, max: 14 }).map((n) => String(n).padStart(2, '0'));
    const date = fc.oneof(
      fc.integer({ min: 1999, max: 2001 }).map(String),
      fc.tuple(fc.integer({ min: 1999, max: 2001 }), two).map(([y, m]) => `${y}-${m}`),
      fc.tuple(fc.integer({ min: 1999, max: 2001 }), two, fc.integer({ min: 0, max: 32 }).map((n) => String(n).padStart(2, '0'))).map(([y, m, d]) => `${y}-${m}-${d}`),
      fc.constantFrom('2000-01-01T10:00:00Z', '2000-01-01T10:00:00+02:00', '2000-01-01T09:00:00-01:00', 'x', ''),
    );
    let held = 0;
    let broken = 0;
    fc.assert(fc.property(date, date, (start, end) => {
      const period = { start, end };
      // An impossible date (month 13) makes fhirpath.js throw: the pre-check must leave it to it.
      const judge = (run: () => boolean) => {
        try {
          return run();
        } catch {
          return 'throws';
        }
      };
      const mine = judge(() => per1.holds(period, period, period));
      const theirs = judge(() => evaluate(period).every((r) => r === true));
      if (mine === true) held++;
      else if (mine === false) broken++;
      expect([start, end, mine]).toEqual([start, end, theirs]);
    }), { numRuns: 3000, seed: 20261123 });
    expect(held).toBeGreaterThan(300);
    expect(broken).toBeGreaterThan(300);
  });
});

// ---- every invariant published, run by both --------------------------------------------------------

interface Rule { readonly path: string; readonly expression: string; readonly label: string }

function packRules(): Rule[] {
  const rules: Rule[] = [];
  for (const pack of readdirSync(path.join(ROOT, 'profiles'))) {
    for (const version of readdirSync(path.join(ROOT, 'profiles', pack))) {
      const dir = path.join(ROOT, 'profiles', pack, version, 'fsh-generated', 'resources');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).filter((f) => f.startsWith('StructureDefinition-'))) {
        const sd = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { snapshot?: { element: Array<{ path: string; constraint?: Array<{ key: string; expression?: string }> }> } };
        for (const el of sd.snapshot?.element ?? []) for (const c of el.constraint ?? []) if (c.expression) rules.push({ path: el.path, expression: c.expression, label: `${pack} ${c.key}` });
      }
    }
  }
  return rules;
}

/** R4's invariants, and the names of its resource types. */
async function core(): Promise<{ rules: Rule[]; resourceTypes: Set<string> }> {
  const rules: Rule[] = [];
  const resourceTypes = new Set<string>();
  for (const sd of (await coreDefinitions()).structures.values()) {
    if (sd.kind === 'resource') resourceTypes.add(sd.type);
    for (const el of sd.elements) for (const c of el.constraints) if (c.expression) rules.push({ path: el.path, expression: c.expression, label: `R4 ${c.key}` });
  }
  return { rules, resourceTypes };
}

/** The resources of the fixtures (bundles with their entries' resources too). */
function fixtures(): Json[] {
  const files = [
    ...readdirSync(path.join(ROOT, 'test/fixtures')).filter((f) => f.endsWith('.json')).map((f) => path.join(ROOT, 'test/fixtures', f)),
    ...readdirSync(path.join(ROOT, 'test/fixtures/profiles')).filter((f) => f.endsWith('.json')).map((f) => path.join(ROOT, 'test/fixtures/profiles', f)),
    path.join(ROOT, 'bench/fixtures/claim-bundle-synthea-like.json'),
  ];
  const found: Json[] = [];
  for (const file of files) {
    const resource = JSON.parse(readFileSync(file, 'utf8').replaceAll('TODAY', '2026-11-20')) as Json;
    found.push(resource);
    for (const entry of (resource.entry as Array<{ resource?: Json }> | undefined) ?? []) if (entry.resource) found.push(entry.resource);
  }
  return found;
}

/** Every string literal of the rules: the codes and systems they look for, to put in and take out. */
const literalsOf = (rules: readonly Rule[]) => [...new Set(rules.flatMap((r) => [...r.expression.matchAll(/'([^'\\]*)'/g)].map((m) => m[1]!)))];

/** The places of a JSON value (paths to every object key and array slot). */
function places(value: unknown, at: Array<string | number> = [], into: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) value.forEach((v, i) => { into.push([...at, i]); places(v, [...at, i], into); });
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) { into.push([...at, k]); places(v, [...at, k], into); }
  return into;
}

function mutate(resource: Json, changes: Array<{ pick: number; op: number; value: unknown; name: string }>): Json {
  const copy = structuredClone(resource);
  for (const change of changes) {
    const all = places(copy);
    if (all.length === 0) break;
    const place = all[change.pick % all.length]!;
    const parent = place.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown>;
    const key = place[place.length - 1]!;
    if (change.op === 0 && !Array.isArray(parent)) delete parent[key];
    else if (change.op === 1) parent[key] = change.value;
    else if (change.op === 2 && typeof key === 'string' && typeof parent[key] !== 'object') parent[`_${key}`] = { extension: [{ url: 'urn:x', valueString: 'e' }] };
    else if (change.op === 3 && typeof key === 'string' && !Array.isArray(parent)) {
      parent[`${change.name}Quantity`] = { value: 1 };
    } else if (change.op === 4 && Array.isArray(parent[key])) (parent[key] as unknown[]).push(structuredClone((parent[key] as unknown[])[0]));
    else if (change.op === 5 && parent[key] !== null && typeof parent[key] === 'object' && !Array.isArray(parent)) parent[change.name] = change.value;
  }
  return copy;
}

describe('the FHIRPath subset agrees with fhirpath.js', () => {
  test('on every invariant of R4 and of the packs it compiles, on the fixtures and their mutations', async () => {
    const r4 = await core();
    const rules = [...packRules(), ...r4.rules]
      .map((r) => ({ ...r, expression: r.expression.replace(/\.trace\([^()]*\)/g, '') }))
      .map((r) => ({ ...r, subset: compileSubset(r.expression, r.path, r4Model) }))
      .filter((r): r is Rule & { subset: NonNullable<ReturnType<typeof compileSubset>> } => r.subset !== undefined);
    const packCompiled = rules.filter((r) => !r.label.startsWith('R4'));
    // The packs' per-item rules are the reason for the subset: most of them must be in it.
    expect(packCompiled.length).toBeGreaterThan(10);

    const compiled = new Map(rules.map((r) => [r, fhirpath.compile({ base: r.path, expression: r.expression }, r4Model, { traceFn: () => undefined }) as unknown as (input: unknown, env: Json) => unknown[]]));
    const literals = literalsOf(rules);
    const names = [...new Set(rules.flatMap((r) => r.expression.match(/[a-z][A-Za-z]*/g) ?? []))];
    const corpus = fixtures();
    const objects = (resource: Json) => places(resource).map((p) => p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], resource)).filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v));

    const tally = { judged: 0, held: 0, failed: 0, abandoned: 0 };
    const disagreements: string[] = [];
    const judge = (resource: Json) => {
      for (const rule of rules) {
        const root = rule.path.split('.')[0]!;
        // A resource's rule on that resource's elements; a data type's rule on any object (it must agree on all).
        const instances = r4.resourceTypes.has(root) ? (root === resource.resourceType ? instancesAt(resource, rule.path) : []) : objects(resource).slice(0, 40);
        for (const instance of instances) {
          const answer = rule.subset(instance);
          if (answer === undefined) {
            tally.abandoned++;
            continue;
          }
          const mine = answer.every((r) => r === true);
          let theirs: boolean | string;
          try {
            theirs = compiled.get(rule)!(instance, { resource, rootResource: resource }).every((r) => r === true);
          } catch (err) {
            theirs = `throws ${(err as Error).message}`;
          }
          tally.judged++;
          if (mine) tally.held++;
          else tally.failed++;
          if (mine !== theirs && disagreements.length < 5) disagreements.push(`${rule.label} on ${rule.path}: ${rule.expression} → subset ${mine}, fhirpath.js ${theirs}; instance ${JSON.stringify(instance).slice(0, 300)}`);
        }
      }
    };
    for (const resource of corpus) judge(resource);
    const change = fc.record({ pick: fc.nat(), op: fc.integer({ min: 0, max: 5 }), value: fc.oneof(fc.constantFrom(...literals), fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.constantFrom('2026-01-01', '2026', 1.5, 'x'), fc.constant({})), name: fc.constantFrom(...names) });
    fc.assert(fc.property(fc.nat({ max: corpus.length - 1 }), fc.array(change, { minLength: 1, maxLength: 4 }), (which, changes) => {
      judge(mutate(corpus[which]!, changes));
    }), { numRuns: 400, seed: 20261123 });

    expect(disagreements).toEqual([]);
    // Both answers are reached, and the subset answers far more often than it abandons.
    expect(tally.held).toBeGreaterThan(1000);
    expect(tally.failed).toBeGreaterThan(100);
    expect(tally.judged).toBeGreaterThan(5 * tally.abandoned);
  }, 120_000);
});
