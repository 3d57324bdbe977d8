/**
 * Every invariant of every profile pack, evaluated with fhirpath.js (compiled once with the R4 model, as the
 * validation engine does) on resources that meet it and resources that break it; each expression must give
 * true or false, never an empty result. Then the claims the gateway already sends (the test fixtures and what
 * `npm run demo` generates) must meet every invariant and every required element of passerelle-base 1.0.0 and
 * demo-ipm 1.0.0, and the sample claims of test/fixtures/profiles/ those of openimis 1.0.0 and demo-ipm 2.0.0.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import { buildClaimBundle, buildScenarios } from '../gateway/demo/demo-claims.js';
import { instancesAt } from './element-instances.js';

// Test data is built by copying fixtures and changing them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Res = any;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROFILES = path.join(ROOT, 'profiles');
const TODAY = '2026-11-22';

interface ElementDefinition {
  id: string;
  path: string;
  min?: number;
  max?: string;
  type?: { code: string; profile?: string[] }[];
  slicing?: { discriminator?: { type: string; path: string }[] };
  constraint?: { key: string; severity: string; human: string; expression: string; source?: string }[];
  [key: string]: unknown;
}
interface StructureDefinition { resourceType: 'StructureDefinition'; url: string; type: string; kind: string; derivation: string; snapshot: { element: ElementDefinition[] } }
interface PackInvariant {
  pack: string;
  version: string;
  key: string;
  severity: string;
  type: string;
  path: string;
  expression: string;
  /** The results on every instance of the element the invariant is set on (%resource: the resource). */
  evaluate: (resource: Res) => unknown[][];
}
interface Pack { pack: string; version: string; profiles: StructureDefinition[]; invariants: PackInvariant[] }

function loadPack(pack: string, version: string): Pack {
  const dir = path.join(PROFILES, pack, version, 'fsh-generated', 'resources');
  const profiles = readdirSync(dir).filter((f) => f.startsWith('StructureDefinition-')).sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as StructureDefinition)
    .filter((sd) => sd.kind === 'resource' && sd.derivation === 'constraint');
  const invariants = profiles.flatMap((sd) => sd.snapshot.element.flatMap((el) => (el.constraint ?? []).filter((c) => c.source === sd.url).map((c) => {
    const compiled = fhirpath.compile({ base: el.path, expression: c.expression }, r4Model) as unknown as (resource: Res, env: Record<string, unknown>) => unknown[];
    return {
      pack, version, key: c.key, severity: c.severity, type: sd.type, path: el.path, expression: c.expression,
      evaluate: (resource: Res) => instancesAt(resource, el.path).map((instance) => compiled(instance, { resource, rootResource: resource })),
    };
  })));
  return { pack, version, profiles, invariants };
}

const packs: Pack[] = readdirSync(PROFILES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'generated')
  .flatMap((d) => readdirSync(path.join(PROFILES, d.name)).filter((v) => existsSync(path.join(PROFILES, d.name, v, 'fsh-generated', 'resources'))).map((v) => loadPack(d.name, v)));

function pack(name: string, version: string): Pack {
  const found = packs.find((p) => p.pack === name && p.version === version);
  if (!found) throw new Error(`no pack ${name} ${version}`);
  return found;
}

// ---- test data ------------------------------------------------------------------------------------

function fixture(file: string): Res {
  return JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', file), 'utf8').replaceAll('TODAY', TODAY));
}

const COVERED = fixture('claim-bundle-covered-member.json');
const ABOVE_THRESHOLD = fixture('claim-bundle-above-pend-threshold.json');
const OPENIMIS = fixture('profiles/openimis-claim-bundle.json');
const IPM2 = fixture('profiles/demo-ipm-2-claim-bundle.json');

/** A copy of `value`, changed by `change`. */
function variant(value: Res, change?: (copy: Res) => void): Res {
  const copy = structuredClone(value);
  change?.(copy);
  return copy;
}
const entry = (bundle: Res, type: string): Res => bundle.entry.find((e: Res) => e.resource.resourceType === type).resource;
const claim = (change?: (c: Res) => void) => variant(entry(COVERED, 'Claim'), change);
const patient = (change?: (p: Res) => void) => variant(entry(COVERED, 'Patient'), change);
const coverage = (change?: (c: Res) => void) => variant(entry(COVERED, 'Coverage'), change);
const bundle = (change?: (b: Res) => void) => variant(COVERED, change);
const oiClaim = (change?: (c: Res) => void) => variant(entry(OPENIMIS, 'Claim'), change);
const ipm2Claim = (change?: (c: Res) => void) => variant(entry(IPM2, 'Claim'), change);

const claimResponse = (change?: (r: Res) => void) => variant({
  resourceType: 'ClaimResponse', status: 'active', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  use: 'claim', patient: { identifier: { system: 'urn:passerelle:demo-insurer:member', value: 'M0001' } }, created: `${TODAY}T10:00:00Z`,
  insurer: { identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } }, request: { reference: 'Claim/c1' }, outcome: 'queued',
}, change);
const eligibilityResponse = (change?: (r: Res) => void) => variant({
  resourceType: 'CoverageEligibilityResponse', status: 'active', purpose: ['validation'], patient: { identifier: { system: 'urn:passerelle:demo-insurer:member', value: 'M0001' } },
  created: `${TODAY}T10:00:00Z`, request: { reference: 'CoverageEligibilityRequest/e1' }, insurer: { identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } },
  outcome: 'complete', insurance: [{ coverage: { identifier: { system: 'urn:passerelle:demo-insurer:member', value: 'M0001' } }, inforce: true }],
}, change);
const errorCode = { code: { coding: [{ system: 'https://fhir.passerelle.sn/CodeSystem/rejection-reason', code: 'member-unknown' }] } };

interface Cases { pass: Record<string, Res>; fail: Record<string, Res> }

/** For every invariant key: resources that meet it and resources that break it. */
const CASES: Record<string, Cases> = {
  // ---- passerelle-base
  'pas-claim-total': {
    pass: {
      'the fixture claim': claim(),
      'an item without net amount (a cardinality error, not this one)': claim((c) => { delete c.item[1].net; c.total.value = 1; }),
      'decimal amounts 0.1 + 0.2 = 0.3': claim((c) => { c.item[0].net.value = 0.1; c.item[1].net.value = 0.2; c.total.value = 0.3; }),
      'two items with the same net amount': claim((c) => { c.item[1].net.value = 15000; c.total.value = 30000; }),
      'no total (a cardinality error, not this one)': claim((c) => { delete c.total; }),
    },
    fail: {
      'a total one franc off': claim((c) => { c.total.value = 23001; }),
      'a total of the first item only': claim((c) => { c.total.value = 15000; }),
    },
  },
  'pas-claim-item-net': {
    pass: {
      'the fixture claim (no quantity: net = unit price)': claim(),
      'quantity 3 × 12000 = 36000': claim((c) => { c.item[0].quantity = { value: 3 }; c.item[0].unitPrice.value = 12000; c.item[0].net.value = 36000; }),
      'factor 0.5 on 15000 = 7500': claim((c) => { c.item[0].factor = 0.5; c.item[0].net.value = 7500; }),
      'decimal quantity 1.5 × 9.99 = 14.985 rounded to 14.99': claim((c) => { c.item[0].quantity = { value: 1.5 }; c.item[0].unitPrice.value = 9.99; c.item[0].net.value = 14.99; }),
    },
    fail: {
      'quantity 2 but net = one unit price': claim((c) => { c.item[0].quantity = { value: 2 }; }),
      'factor 0.5 not applied': claim((c) => { c.item[1].factor = 0.5; }),
    },
  },
  'pas-claim-currency': {
    pass: { 'every amount in XOF': claim() },
    fail: { 'a total in EUR': claim((c) => { c.total.currency = 'EUR'; }), 'one unit price in EUR': claim((c) => { c.item[1].unitPrice.currency = 'EUR'; }) },
  },
  'pas-claim-item-sequence': {
    pass: { 'items 1 and 2': claim() },
    fail: { 'two items numbered 1': claim((c) => { c.item[1].sequence = 1; }) },
  },
  'pas-claim-focal': {
    pass: {
      'one focal insurance': claim(),
      'two insurances, one focal': claim((c) => { c.insurance.push({ sequence: 2, focal: false, coverage: { reference: 'Coverage/other' } }); }),
    },
    fail: {
      'no focal insurance': claim((c) => { c.insurance[0].focal = false; }),
      'two focal insurances': claim((c) => { c.insurance.push({ sequence: 2, focal: true, coverage: { reference: 'Coverage/other' } }); }),
    },
  },
  'pas-claim-parties': {
    pass: { 'insurer and provider by identifier': claim(), 'provider by reference': claim((c) => { c.provider = { reference: 'Organization/demo-clinic' }; }) },
    fail: {
      'an insurer named by display only': claim((c) => { c.insurer = { display: 'Demo IPM' }; }),
      'a provider named by display only': claim((c) => { c.provider = { display: 'Clinique Démo' }; }),
    },
  },
  'pas-claim-diagnosis-ref': {
    pass: { 'no diagnosis pointers': claim(), 'two items pointing at the same diagnosis': ipm2Claim() },
    fail: { 'an item pointing at diagnosis 2 of 1': ipm2Claim((c) => { c.item[1].diagnosisSequence = [2]; }) },
  },
  'pas-claim-careteam-ref': {
    pass: { 'no care team pointers': claim(), 'two items pointing at the same care team member': ipm2Claim() },
    fail: { 'an item pointing at care team member 3 of 1': ipm2Claim((c) => { c.item[0].careTeamSequence = [1, 3]; }) },
  },
  'pas-claim-information-ref': {
    pass: {
      'no information pointers': claim(),
      'an item pointing at supporting information 1': claim((c) => { c.supportingInfo = [{ sequence: 1, category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claiminformationcategory', code: 'info' }] }, valueString: 'x' }]; c.item[0].informationSequence = [1]; }),
    },
    fail: { 'an item pointing at missing supporting information': claim((c) => { c.item[0].informationSequence = [3]; }) },
  },
  'pas-claim-procedure-ref': {
    pass: {
      'no procedure pointers': claim(),
      'an item pointing at procedure 1': claim((c) => { c.procedure = [{ sequence: 1, procedureCodeableConcept: { text: 'Suture' } }]; c.item[0].procedureSequence = [1]; }),
    },
    fail: { 'an item pointing at a missing procedure': claim((c) => { c.item[0].procedureSequence = [2]; }) },
  },
  'pas-claim-service-dates': {
    pass: {
      'service on the billable day': claim(),
      'billable period given as dateTimes of the same day': claim((c) => { c.billablePeriod = { start: `${TODAY}T08:00:00+00:00`, end: `${TODAY}T18:30:00Z` }; }),
      'a service period inside the billable period': claim((c) => { c.billablePeriod = { start: '2026-11-20', end: '2026-11-25' }; delete c.item[0].servicedDate; c.item[0].servicedPeriod = { start: '2026-11-21', end: '2026-11-24T12:00:00Z' }; }),
      'a billable period without end': claim((c) => { c.billablePeriod = { start: '2026-11-01' }; }),
      'items without service date': claim((c) => { for (const item of c.item) delete item.servicedDate; }),
    },
    fail: {
      'a service the day before': claim((c) => { c.item[1].servicedDate = '2026-11-21'; }),
      'a service period ending after the billable period': claim((c) => { delete c.item[0].servicedDate; c.item[0].servicedPeriod = { start: TODAY, end: '2026-11-23' }; }),
    },
  },
  'pas-claimresponse-error': {
    pass: { 'the gateway\'s queued answer': claimResponse(), 'an error with its code': claimResponse((r) => { r.outcome = 'error'; r.error = [errorCode]; }) },
    fail: { 'an error without code': claimResponse((r) => { r.outcome = 'error'; }) },
  },
  'pas-eligibilityresponse-error': {
    pass: { 'a complete answer': eligibilityResponse(), 'an error with its code': eligibilityResponse((r) => { r.outcome = 'error'; delete r.insurance; r.error = [errorCode]; }) },
    fail: { 'an error without code': eligibilityResponse((r) => { r.outcome = 'error'; delete r.insurance; }) },
  },
  'pas-patient-birthdate': {
    pass: { 'born in 1985': patient(), 'a birth year only': patient((p) => { p.birthDate = '1985'; }), 'no birth date': patient((p) => { delete p.birthDate; }) },
    fail: { 'born in 2999': patient((p) => { p.birthDate = '2999-01-01'; }) },
  },
  'pas-coverage-payor': {
    pass: { 'payor by identifier': coverage(), 'payor by reference': coverage((c) => { c.payor = [{ reference: 'Organization/demo-insurer' }]; }) },
    fail: { 'a payor named by display only': coverage((c) => { c.payor.push({ display: 'Demo IPM' }); }) },
  },
  'pas-bundle-references': {
    pass: { 'the fixture bundle': bundle(), 'references to servers are not checked': bundle((b) => { b.entry[0].resource.insurance[0].coverage.reference = 'Coverage/123'; }) },
    fail: { 'a patient reference to no entry': bundle((b) => { b.entry[0].resource.patient.reference = 'urn:uuid:00000000-0000-4000-8000-000000000000'; }) },
  },
  'pas-bundle-payor': {
    pass: {
      'payor and insurer with the same identifier': bundle(),
      'payor and insurer with the same reference': bundle((b) => { b.entry[0].resource.insurer = { reference: 'Organization/demo-insurer' }; b.entry[2].resource.payor = [{ display: 'x' }, { reference: 'Organization/demo-insurer' }]; }),
      'a first entry that is not a Claim (eligibility)': bundle((b) => { b.entry.reverse(); b.entry[0].resource.payor[0].identifier.value = 'other'; }),
      'a focal coverage that is not in the bundle': bundle((b) => { b.entry[0].resource.insurance[0].coverage = { reference: 'Coverage/123' }; b.entry[2].resource.payor[0].identifier.value = 'other'; }),
    },
    fail: {
      'a coverage paid by another insurer': bundle((b) => { b.entry[2].resource.payor[0].identifier.value = 'demo-mutuelle'; }),
      'a payor identifier in another system': bundle((b) => { b.entry[2].resource.payor[0].identifier.system = 'urn:other'; }),
    },
  },
  // ---- openimis
  'oi-claim-patient-chfid': {
    pass: { 'the openIMIS sample claim': oiClaim() },
    fail: {
      'a patient identifier of type UUID': oiClaim((c) => { c.patient.identifier.type.coding[0].code = 'UUID'; }),
      'a patient by reference only': oiClaim((c) => { delete c.patient.identifier; }),
    },
  },
  'oi-claim-main-diagnosis': {
    pass: { 'a coded main diagnosis': oiClaim() },
    fail: {
      'no diagnosis with sequence 1': oiClaim((c) => { c.diagnosis[0].sequence = 2; }),
      'a main diagnosis as text only': oiClaim((c) => { c.diagnosis[0].diagnosisCodeableConcept = { text: 'Paludisme' }; }),
    },
  },
  'oi-claim-item-quantity': {
    pass: { 'quantities 1 and 2': oiClaim() },
    fail: { 'a quantity of 0': oiClaim((c) => { c.item[1].quantity.value = 0; }), 'a negative quantity': oiClaim((c) => { c.item[0].quantity.value = -1; }) },
  },
  'oi-claim-item-kind': {
    pass: {
      'an ActivityDefinition and a Medication': oiClaim(),
      'a urn:uuid reference with its type': oiClaim((c) => { c.item[0].extension[0].valueReference = { reference: 'urn:uuid:9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', type: 'ActivityDefinition' }; }),
      'an absolute reference without type': oiClaim((c) => { c.item[1].extension[0].valueReference = { reference: 'https://openimis.example.org/api/api_fhir_r4/Medication/0001' }; }),
    },
    fail: {
      'a reference to a Practitioner': oiClaim((c) => { c.item[0].extension[0].valueReference = { reference: 'Practitioner/1' }; }),
      'a urn:uuid reference without type': oiClaim((c) => { c.item[0].extension[0].valueReference = { reference: 'urn:uuid:9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' }; }),
    },
  },
  'oi-claim-visit-before-claimed': {
    pass: {
      'claimed the day after the visit': oiClaim(),
      'claimed at the end of the visit day': oiClaim((c) => { c.created = '2026-11-20T17:45:00+00:00'; }),
    },
    fail: {
      'claimed before the visit': oiClaim((c) => { c.created = '2026-11-19'; }),
      'a visit ending after the date claimed': oiClaim((c) => { c.billablePeriod.end = '2026-11-23'; }),
    },
  },
  // ---- demo-ipm
  'ipm-claim-tariff': {
    pass: { 'every item coded in the tariff': claim(), 'a tariff coding beside another one': claim((c) => { c.item[0].productOrService.coding.unshift({ system: 'urn:other', code: 'X' }); }) },
    fail: { 'an item coded in another system only': claim((c) => { c.item[1].productOrService.coding = [{ system: 'urn:other', code: 'LAB01' }]; }) },
  },
  'ipm-claim-currency': {
    pass: { 'every amount in XOF': claim() },
    fail: { 'every amount in EUR': claim((c) => { c.total.currency = 'EUR'; for (const i of c.item) { i.net.currency = 'EUR'; i.unitPrice.currency = 'EUR'; } }) },
  },
  'ipm-claim-icd10': {
    pass: { 'a diagnosis coded in ICD-10': ipm2Claim() },
    fail: { 'no diagnosis (the fixture claim)': claim(), 'a diagnosis coded in another system': ipm2Claim((c) => { c.diagnosis[0].diagnosisCodeableConcept.coding[0].system = 'http://snomed.info/sct'; }) },
  },
  'ipm-claim-item-careteam': {
    pass: { 'every item names its practitioner': ipm2Claim() },
    fail: { 'items without care team (the fixture claim)': claim() },
  },
  'ipm-patient-member': {
    pass: { 'a member number': patient() },
    fail: { 'an identifier of another insurer': patient((p) => { p.identifier[0].system = 'urn:passerelle:demo-mutuelle:member'; }) },
  },
  'ipm-patient-member-format': {
    pass: { 'M0001': patient(), 'no member number (another rule)': patient((p) => { p.identifier[0].system = 'urn:other'; }) },
    fail: { 'a lower-case m': patient((p) => { p.identifier[0].value = 'm0001'; }), 'digits only': patient((p) => { p.identifier[0].value = '12345'; }) },
  },
  'ipm-coverage-member': {
    pass: { 'a member number': coverage() },
    fail: { 'no member number': coverage((c) => { c.identifier = [{ system: 'urn:other', value: 'M0001' }]; }) },
  },
};

// ---- required elements (a small structural check: cardinalities, slices, pattern and fixed values, choice types)

function childrenOf(parent: Res, name: string): Res[] {
  if (parent === null || typeof parent !== 'object') return [];
  const values = name.endsWith('[x]')
    ? Object.keys(parent).filter((k) => k.startsWith(name.slice(0, -3)) && /^[A-Z]/.test(k.slice(name.length - 3))).map((k) => parent[k])
    : [parent[name]];
  return values.flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
}

function matchesPattern(value: Res, pattern: Res): boolean {
  if (Array.isArray(pattern)) return Array.isArray(value) && pattern.every((p) => value.some((v) => matchesPattern(v, p)));
  if (pattern !== null && typeof pattern === 'object') return value !== null && typeof value === 'object' && Object.keys(pattern).every((k) => matchesPattern(value[k], pattern[k]));
  return value === pattern;
}

const patternOf = (el: ElementDefinition | undefined): Res => el && Object.entries(el).find(([k]) => k.startsWith('pattern') || k.startsWith('fixed'))?.[1];

function inSlice(value: Res, sliced: ElementDefinition | undefined, slice: ElementDefinition, byId: Map<string, ElementDefinition>): boolean {
  return (sliced?.slicing?.discriminator ?? []).every((d) => {
    if (d.path === 'url' && slice.type?.[0]?.profile?.[0]) return value?.url === slice.type[0].profile[0];
    const target = d.path === '$this' ? slice : byId.get(`${slice.id}.${d.path}`);
    const expected = patternOf(target);
    return expected !== undefined && matchesPattern(d.path === '$this' ? value : value?.[d.path], expected);
  });
}

/** What a resource misses of the elements a profile requires. */
function requiredElementProblems(resource: Res, sd: StructureDefinition): string[] {
  const elements = sd.snapshot.element;
  const byId = new Map(elements.map((e) => [e.id, e]));
  const nodes = new Map<string, Res[]>([[elements[0]!.id, [resource]]]);
  const problems: string[] = [];
  for (const el of elements.slice(1)) {
    const cut = el.id.lastIndexOf('.');
    const parents = nodes.get(el.id.slice(0, cut));
    if (!parents) continue;
    const [name, sliceName] = el.id.slice(cut + 1).split(':') as [string, string | undefined];
    const sliced = sliceName ? byId.get(`${el.id.slice(0, cut)}.${name}`) : undefined;
    const expected = patternOf(el);
    const found: Res[] = [];
    for (const parent of parents) {
      const values = childrenOf(parent, name).filter((v) => !sliceName || inSlice(v, sliced, el, byId));
      if (values.length < (el.min ?? 0)) problems.push(`${el.id}: at least ${el.min} expected, ${values.length} found`);
      if (el.max && el.max !== '*' && values.length > Number(el.max)) problems.push(`${el.id}: at most ${el.max} expected, ${values.length} found`);
      if (expected !== undefined) for (const v of values) if (!matchesPattern(v, expected)) problems.push(`${el.id}: ${JSON.stringify(v)} does not match ${JSON.stringify(expected)}`);
      if (name.endsWith('[x]') && el.type) {
        const allowed = el.type.map((t) => name.slice(0, -3) + t.code[0]!.toUpperCase() + t.code.slice(1));
        for (const key of Object.keys(parent ?? {})) if (key.startsWith(name.slice(0, -3)) && /^[A-Z]/.test(key.slice(name.length - 3)) && !allowed.includes(key)) problems.push(`${el.id}: ${key} is not allowed`);
      }
      found.push(...values);
    }
    nodes.set(el.id, found);
  }
  return problems;
}

// ---- tests ----------------------------------------------------------------------------------------

describe('invariants of the profile packs', () => {
  const all = packs.flatMap((p) => p.invariants);

  test('every invariant has test cases, and every case an invariant', () => {
    expect([...new Set(all.map((i) => i.key))].filter((k) => !CASES[k])).toEqual([]);
    expect(Object.keys(CASES).filter((k) => !all.some((i) => i.key === k))).toEqual([]);
    for (const [key, cases] of Object.entries(CASES)) {
      expect({ key, pass: Object.keys(cases.pass).length > 0, fail: Object.keys(cases.fail).length > 0 }).toEqual({ key, pass: true, fail: true });
    }
  });

  test('the claim rules are set on the element they judge, so that an issue points at it', () => {
    const on = (key: string) => [...new Set(all.filter((i) => i.key === key).map((i) => i.path))];
    expect(Object.fromEntries(['pas-claim-total', 'pas-claim-item-net', 'pas-claim-item-sequence', 'pas-claim-diagnosis-ref', 'pas-claim-careteam-ref',
      'pas-claim-information-ref', 'pas-claim-procedure-ref', 'pas-claim-service-dates', 'pas-bundle-references', 'ipm-claim-tariff', 'ipm-claim-item-careteam',
      'oi-claim-item-quantity', 'oi-claim-item-kind'].map((k) => [k, on(k)]))).toEqual({
      'pas-claim-total': ['Claim.total'], 'pas-claim-item-net': ['Claim.item'], 'pas-claim-item-sequence': ['Claim.item'],
      'pas-claim-diagnosis-ref': ['Claim.item'], 'pas-claim-careteam-ref': ['Claim.item'], 'pas-claim-information-ref': ['Claim.item'], 'pas-claim-procedure-ref': ['Claim.item'],
      'pas-claim-service-dates': ['Claim.item'], 'pas-bundle-references': ['Bundle.entry'], 'ipm-claim-tariff': ['Claim.item.productOrService'],
      'ipm-claim-item-careteam': ['Claim.item'], 'oi-claim-item-quantity': ['Claim.item.quantity'], 'oi-claim-item-kind': ['Claim.item'],
    });
  });

  describe.each(all.map((i) => [`${i.pack} ${i.version} ${i.key}`, i] as const))('%s', (_label, invariant) => {
    const cases = CASES[invariant.key] ?? { pass: {}, fail: {} };
    test.each(Object.entries(cases.pass))('holds: %s', (_name, resource) => {
      expect(resource.resourceType).toBe(invariant.type);
      expect(invariant.evaluate(structuredClone(resource)).filter((r) => JSON.stringify(r) !== '[true]')).toEqual([]);
    });
    test.each(Object.entries(cases.fail))('is broken: %s', (_name, resource) => {
      expect(resource.resourceType).toBe(invariant.type);
      const results = invariant.evaluate(structuredClone(resource));
      expect(results.filter((r) => r.length !== 1 || typeof r[0] !== 'boolean')).toEqual([]);
      expect(results.map((r) => r[0])).toContain(false);
    });
  });
});

describe('the claims the gateway sends meet the packs', () => {
  const demoScenarios = buildScenarios({ count: 40, seed: 2026, runId: 'profiles' });
  const demoBundles: [string, Res, string][] = demoScenarios.map((s) => [`demo ${s.index} ${s.kind} (${s.insurer})`, buildClaimBundle(s, new Date(`${TODAY}T09:30:00Z`)), s.insurer]);
  const claimBundles: [string, Res, string][] = [
    ['fixture claim-bundle-covered-member', COVERED, 'demo-insurer'],
    ['fixture claim-bundle-above-pend-threshold', ABOVE_THRESHOLD, 'demo-insurer'],
    ...demoBundles,
  ];

  /** Invariants and required elements of the pack versions that are not met by the bundle and its entries. */
  function problems(b: Res, versions: Pack[]): string[] {
    const found: string[] = [];
    for (const resource of [b, ...b.entry.map((e: Res) => e.resource)]) {
      for (const p of versions) {
        for (const inv of p.invariants.filter((i) => i.type === resource.resourceType)) {
          const failing = inv.evaluate(structuredClone(resource)).filter((r) => JSON.stringify(r) !== '[true]');
          if (failing.length > 0) found.push(`${p.pack} ${p.version} ${inv.key} on ${resource.resourceType}: ${JSON.stringify(failing)}`);
        }
        for (const sd of p.profiles.filter((s) => s.type === resource.resourceType)) {
          found.push(...requiredElementProblems(resource, sd).map((m) => `${p.pack} ${p.version} ${sd.url}: ${m}`));
        }
      }
    }
    return found;
  }

  test('the demo generates claims for both insurers', () => {
    expect(new Set(demoScenarios.map((s) => s.insurer))).toEqual(new Set(['demo-insurer', 'demo-mutuelle']));
  });

  test.each(claimBundles)('%s meets passerelle-base 1.0.0 (and demo-ipm 1.0.0 when sent to demo-insurer)', (_label, b, insurer) => {
    const versions = [pack('passerelle-base', '1.0.0'), ...(insurer === 'demo-insurer' ? [pack('demo-ipm', '1.0.0')] : [])];
    expect(problems(b, versions)).toEqual([]);
  });

  test('the openIMIS sample claim meets passerelle-base 1.0.0 and openimis 1.0.0', () => {
    expect(problems(OPENIMIS, [pack('passerelle-base', '1.0.0'), pack('openimis', '1.0.0')])).toEqual([]);
  });

  test('the demo-ipm 2.0.0 sample claim meets passerelle-base 1.0.0 and demo-ipm 2.0.0 (and 1.0.0)', () => {
    expect(problems(IPM2, [pack('passerelle-base', '1.0.0'), pack('demo-ipm', '1.0.0'), pack('demo-ipm', '2.0.0')])).toEqual([]);
  });

  test('the fixture claim does not meet demo-ipm 2.0.0: no diagnosis, no care team (the rollout of a stricter version)', () => {
    expect(problems(COVERED, [pack('demo-ipm', '2.0.0')])).toEqual(expect.arrayContaining([
      expect.stringContaining('ipm-claim-icd10 on Claim'),
      expect.stringContaining('ipm-claim-item-careteam on Claim'),
      expect.stringMatching(/demo-ipm-claim: Claim\.diagnosis: at least 1 expected, 0 found$/),
      expect.stringMatching(/demo-ipm-claim: Claim\.careTeam: at least 1 expected, 0 found$/),
    ]));
  });

  test('the required-elements check sees what the openIMIS pack requires', () => {
    const broken = variant(OPENIMIS, (b) => {
      const c = b.entry[0].resource;
      c.identifier[0].type.coding[0].code = 'UUID';
      delete c.item[0].extension;
      delete c.item[1].quantity;
      c.diagnosis[0] = { sequence: 1, diagnosisReference: { reference: 'Condition/1' } };
      delete b.entry[1].resource.birthDate;
      b.entry[2].resource.class[0].type.coding[0].code = 'group';
    });
    const found = problems(broken, [pack('openimis', '1.0.0')]).join('\n');
    for (const expected of [
      'Claim.identifier:Code: at least 1 expected, 0 found',
      'Claim.item.extension:itemReference: at least 1 expected, 0 found',
      'Claim.item.quantity: at least 1 expected, 0 found',
      'Claim.diagnosis.diagnosis[x]: diagnosisReference is not allowed',
      'Patient.birthDate: at least 1 expected, 0 found',
      'Coverage.class:plan: at least 1 expected, 0 found',
    ]) expect(found).toContain(expected);
  });
});
