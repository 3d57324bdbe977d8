/**
 * The native evaluators of gateway/validation/engine/native-invariants.ts give the answer fhirpath.js
 * gives on the published expression: both run on thousands of generated claims and bundles (amounts
 * with cents and fractions, quantities and factors, duplicate and dangling sequences, dates at every
 * precision, references inside and outside the bundle, uri elements named "reference"). Every
 * evaluator's expression must still be published by a pack, on the element it is keyed by.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { coreDefinitions } from '../gateway/validation/engine/definitions.js';
import { NATIVE_BY_EXPRESSION } from '../gateway/validation/engine/native-invariants.js';
import { instancesAt } from './element-instances.js';

type Json = Record<string, unknown>;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const published = new Set<string>();
for (const pack of readdirSync(path.join(ROOT, 'profiles'))) {
  for (const version of existsSync(path.join(ROOT, 'profiles', pack)) ? readdirSync(path.join(ROOT, 'profiles', pack)) : []) {
    const dir = path.join(ROOT, 'profiles', pack, version, 'fsh-generated', 'resources');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.startsWith('StructureDefinition-'))) {
      const sd = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { snapshot?: { element: Array<{ path: string; constraint?: Array<{ expression?: string }> }> } };
      for (const el of sd.snapshot?.element ?? []) for (const c of el.constraint ?? []) if (c.expression) published.add(`${el.path}\u0000${c.expression}`);
    }
  }
}

const natives = [...NATIVE_BY_EXPRESSION].map(([key, native]) => {
  const [basePath, expression] = key.split('\u0000') as [string, string];
  const compiled = fhirpath.compile({ base: basePath, expression }, r4Model) as unknown as (input: unknown, env: Json) => unknown[];
  const instances = (resource: Json) => instancesAt(resource, basePath);
  return { basePath, expression, native, compiled, instances, label: `${basePath}: ${expression.slice(0, 70)}` };
});

// ---- generators -----------------------------------------------------------------------------------

const day = fc.constantFrom('2026-03-01', '2026-03-02', '2026-03-15', '2026-03-31', '2026-04-01', '2026-02-28', '2025-12-31');
const date = fc.oneof(
  day,
  fc.constantFrom('2026', '2025', '2026-03', '2026-02', '2026-04'),
  fc.tuple(day, fc.constantFrom('T00:00:00Z', 'T08:30:00+00:00', 'T23:59:59-05:00', 'T10:15:00.123+01:00')).map(([d, t]) => d + t),
);
const currency = fc.constantFrom('XOF', 'XOF', 'XOF', 'XOF', 'EUR');
const money = fc.oneof(fc.integer({ min: 0, max: 60000 }), fc.integer({ min: 0, max: 99999 }).map((c) => c / 100), fc.constantFrom(0.1, 0.2, 0.3, 9.99, 14.985, 1.005, 2.675, 1 / 3));
const sequence = fc.integer({ min: 1, max: 5 });
const item = fc.record({
  sequence: fc.option(sequence, { nil: undefined }),
  unitPrice: fc.option(fc.record({ value: fc.option(money, { nil: undefined }), currency: fc.option(currency, { nil: undefined }) }, { requiredKeys: [] }), { nil: undefined }),
  netCurrency: fc.option(currency, { nil: undefined }),
  quantity: fc.option(fc.record({ value: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(1.5, 0.5, 2.25, 1 / 3)) }), { nil: undefined }),
  factor: fc.option(fc.constantFrom(0.5, 1, 0.25, 1.2, 0.1), { nil: undefined }),
  netMode: fc.constantFrom('exact', 'exact', 'cent-off', 'random', 'absent'),
  netRandom: money,
  serviced: fc.oneof(fc.record({ servicedDate: date }), fc.record({ servicedPeriod: fc.record({ start: date, end: date }, { requiredKeys: [] }) }), fc.constant({})),
  diagnosisSequence: fc.option(fc.array(sequence, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  careTeamSequence: fc.option(fc.array(sequence, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  informationSequence: fc.option(fc.array(sequence, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  procedureSequence: fc.option(fc.array(sequence, { minLength: 1, maxLength: 2 }), { nil: undefined }),
}).map((g) => {
  const out: Json = { productOrService: { text: 'x' }, ...g.serviced };
  if (g.sequence !== undefined) out.sequence = g.sequence;
  if (g.unitPrice) out.unitPrice = g.unitPrice;
  if (g.quantity) out.quantity = g.quantity;
  if (g.factor !== undefined) out.factor = g.factor;
  for (const key of ['diagnosisSequence', 'careTeamSequence', 'informationSequence', 'procedureSequence'] as const) if (g[key]) out[key] = g[key];
  const unit = g.unitPrice?.value;
  const exact = unit === undefined ? g.netRandom : (g.quantity?.value ?? 1) * unit * (g.factor ?? 1);
  if (g.netMode !== 'absent') out.net = { value: g.netMode === 'exact' ? Math.round(exact * 100) / 100 : g.netMode === 'cent-off' ? Math.round(exact * 100 + 1) / 100 : g.netRandom, currency: g.netCurrency };
  return out;
});
const entries = (name: string) => fc.option(fc.uniqueArray(sequence, { maxLength: 3 }).map((seqs) => seqs.map((s) => ({ sequence: s, [name]: name === 'diagnosis' ? { text: 'd' } : undefined }))), { nil: undefined });
const claim = fc.record({
  items: fc.array(item, { maxLength: 8 }),
  totalMode: fc.constantFrom('sum', 'sum', 'off', 'absent'),
  totalCurrency: fc.option(currency, { nil: undefined }),
  billablePeriod: fc.option(fc.record({ start: date, end: date }, { requiredKeys: [] }), { nil: undefined }),
  diagnosis: entries('diagnosis'), careTeam: entries('careTeam'), supportingInfo: entries('supportingInfo'), procedure: entries('procedure'),
}).map((g) => {
  const c: Json = { resourceType: 'Claim', status: 'active', item: g.items.length > 0 ? g.items : undefined };
  if (g.billablePeriod) c.billablePeriod = g.billablePeriod;
  for (const key of ['diagnosis', 'careTeam', 'supportingInfo', 'procedure'] as const) if (g[key]?.length) c[key] = g[key].map((e) => JSON.parse(JSON.stringify(e)));
  const sum = g.items.reduce((s, i) => s + ((i.net as Json | undefined)?.value as number ?? 0), 0);
  if (g.totalMode !== 'absent') c.total = { value: g.totalMode === 'sum' ? sum : sum + 0.01, currency: g.totalCurrency };
  return JSON.parse(JSON.stringify(c)) as Json;
});

const urls = ['urn:uuid:11111111-1111-4111-8111-111111111111', 'urn:uuid:22222222-2222-4222-8222-222222222222', 'urn:uuid:33333333-3333-4333-8333-333333333333', 'urn:oid:1.2.3.4', 'Patient/p1', '#c1'];
const reference = fc.constantFrom(...urls).map((r) => ({ reference: r }));
const identifier = fc.record({ system: fc.constantFrom('urn:passerelle:participant', 'urn:other'), value: fc.constantFrom('demo-insurer', 'demo-mutuelle') }, { requiredKeys: [] });
const party = fc.oneof(reference, fc.record({ identifier }), fc.record({ reference: fc.constantFrom(...urls), identifier }, { requiredKeys: [] }));
const resource = fc.oneof(
  fc.record({ resourceType: fc.constant('Claim'), patient: reference, insurer: party, insurance: fc.array(fc.record({ sequence: sequence, focal: fc.boolean(), coverage: reference }), { maxLength: 2 }) }, { requiredKeys: ['resourceType', 'patient', 'insurance'] }),
  fc.record({ resourceType: fc.constant('Claim'), patient: reference, insurer: party, insurance: fc.array(fc.record({ sequence: sequence, focal: fc.boolean(), coverage: reference }), { maxLength: 2 }) }),
  fc.record({ resourceType: fc.constant('Coverage'), beneficiary: reference, payor: fc.array(party, { maxLength: 2 }), extension: fc.array(fc.record({ url: fc.constant('urn:x'), valueReference: reference }), { maxLength: 1 }) }),
  fc.record({ resourceType: fc.constant('Patient'), managingOrganization: reference, contained: fc.array(fc.oneof(
    fc.record({ resourceType: fc.constant('Organization'), id: fc.constant('c1'), partOf: reference }),
    fc.record({ resourceType: fc.constant('DetectedIssue'), id: fc.constant('c1'), status: fc.constant('final'), reference: fc.constantFrom(...urls) }),
  ), { maxLength: 1 }) }),
  fc.record({ resourceType: fc.constant('DetectedIssue'), status: fc.constant('final'), reference: fc.constantFrom(...urls), patient: reference }),
  fc.record({ resourceType: fc.constant('Immunization'), patient: reference, education: fc.array(fc.record({ reference: fc.constantFrom(...urls) }), { maxLength: 2 }) }),
  fc.record({ resourceType: fc.constant('Questionnaire'), status: fc.constant('active'), extension: fc.array(fc.record({ url: fc.constant('urn:x'), valueExpression: fc.record({ language: fc.constant('text/fhirpath'), reference: fc.constantFrom(...urls) }) }), { maxLength: 1 }) }),
);
const bundle = fc.array(fc.record({ fullUrl: fc.option(fc.constantFrom(...urls.slice(0, 5)), { nil: undefined }), resource: fc.option(resource, { nil: undefined }) }), { maxLength: 4 })
  .map((entry) => JSON.parse(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry })) as Json);

/** Bundles that start with a Claim whose insurances point at Coverage entries (pas-bundle-payor's case). */
const claimBundle = fc.record({
  insurer: fc.option(party, { nil: undefined }),
  insurance: fc.array(fc.record({ sequence, focal: fc.boolean(), coverage: fc.constantFrom(urls[1]!, urls[2]!, urls[4]!).map((r) => ({ reference: r })) }), { maxLength: 2 }),
  coverages: fc.array(fc.record({ fullUrl: fc.constantFrom(urls[1]!, urls[2]!), payor: fc.array(party, { maxLength: 2 }) }), { maxLength: 2 }),
}).map((g) => JSON.parse(JSON.stringify({
  resourceType: 'Bundle', type: 'collection',
  entry: [
    { fullUrl: urls[0], resource: { resourceType: 'Claim', insurer: g.insurer, insurance: g.insurance } },
    ...g.coverages.map((c) => ({ fullUrl: c.fullUrl, resource: { resourceType: 'Coverage', payor: c.payor } })),
  ],
})) as Json);

// ---- tests ----------------------------------------------------------------------------------------

const holdsByFhirpath = (n: (typeof natives)[number], instance: unknown, res: Json) => n.compiled(instance, { resource: res, rootResource: res }).every((r) => r === true);

describe('native invariant evaluators', () => {
  test.each(natives.map((n) => [n.label, n] as const))('%s is still published by a pack on that element', (_label, n) => {
    expect(published.has(`${n.basePath}\u0000${n.expression}`)).toBe(true);
  });

  test.each(natives.map((n) => [n.label, n] as const))('%s agrees with fhirpath.js', (_label, n) => {
    const arbitrary = n.basePath.startsWith('Bundle') ? fc.oneof(bundle, claimBundle) : claim;
    let judged = 0;
    let failed = 0;
    fc.assert(fc.property(arbitrary, (res) => {
      const memo = new Map<unknown, unknown>(); // one per validation, as the engine's
      for (const instance of n.instances(res)) {
        const expected = holdsByFhirpath(n, instance, res);
        judged++;
        if (!expected) failed++;
        if (n.native(instance, res, memo) !== expected) return false;
      }
      return true;
    }), { numRuns: 1500, seed: 20261122 });
    // The generators reach both answers, so an evaluator that always says "holds" cannot pass.
    expect(judged).toBeGreaterThan(500);
    expect(failed).toBeGreaterThan(20);
    expect(judged - failed).toBeGreaterThan(20);
  });

  test('R4 has exactly four string elements named "reference", as the pas-bundle-references evaluator assumes', async () => {
    const core = await coreDefinitions();
    const found = new Set<string>();
    for (const sd of core.structures.values()) {
      for (const el of sd.elements) {
        if (el.path.endsWith('.reference') && el.types.some((t) => ['string', 'uri', 'url', 'canonical'].includes(t.code))) found.add(`${el.path}: ${el.types.map((t) => t.code).join('|')}`);
      }
    }
    expect([...found].sort()).toEqual(['DetectedIssue.reference: uri', 'Expression.reference: uri', 'Immunization.education.reference: uri', 'Reference.reference: string']);
  });
});
