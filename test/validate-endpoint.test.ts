/**
 * $validate, the CapabilityStatement and the published artefacts, over real HTTP: integrators get every
 * issue with its rule id, FHIRPath and a message in their language; what the gateway publishes is
 * byte for byte what the packs' build committed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapabilityStatement, Extension, OperationOutcome } from '@medplum/fhirtypes';
import { describedRoutes } from '../gateway/api-docs/openapi.js';
import { TRANSLATION_EXTENSION } from '../gateway/fhir/outcomes.js';
import { VALIDATION_RULE_SYSTEM } from '../gateway/validation/rules.js';
import { claimBundle, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const CLAIM = 'Bundle.entry[0].resource';
const BASE = 'https://fhir.passerelle.sn/packs';

async function validate(body: unknown, options: { path?: string; client?: string | null; language?: string } = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/fhir+json' };
  if (options.client !== null) headers.Authorization = `Bearer ${await gw.token(options.client ?? 'demo-clinic')}`;
  if (options.language) headers['Accept-Language'] = options.language;
  const res = await fetch(`${gw.url}${options.path ?? '/fhir/$validate'}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as HttpAnswer['body'] };
}

const rules = (answer: HttpAnswer) => ((answer.body as unknown as OperationOutcome).issue ?? []).map((i) => ({
  rule: i.details?.coding?.find((c) => c.system === VALIDATION_RULE_SYSTEM)?.code, at: i.expression?.[0], severity: i.severity,
}));

/** Every published artefact file: pack, version, resource. */
function publishedFiles() {
  const files: Array<{ pack: string; version: string; resource: Record<string, unknown> }> = [];
  for (const pack of readdirSync('profiles', { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'generated')) {
    for (const version of readdirSync(join('profiles', pack.name))) {
      const dir = join('profiles', pack.name, version, 'fsh-generated', 'resources');
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        files.push({ pack: pack.name, version, resource: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown> });
      }
    }
  }
  return files;
}

describe('$validate', () => {
  it('answers 200 with one information issue for a claim bundle that conforms', async () => {
    const answer = await validate(claimBundle());
    expect(answer.status).toBe(200);
    expect(rules(answer)).toEqual([{ rule: 'all-ok', at: undefined, severity: 'information' }]);
  });

  it('reports every issue at once, each with its rule id and FHIRPath, in French when asked', async () => {
    const bundle = claimBundle();
    const claim = bundle.entry![0]!.resource as unknown as Record<string, unknown> & { item: Array<Record<string, unknown>> };
    claim.status = 'bogus';
    claim.created = '2026-11-22T10:00';
    claim.colour = 'blue';
    claim.total = { value: 1, currency: 'XOF' };
    const answer = await validate(bundle, { language: 'fr-SN, fr;q=0.9, en;q=0.5' });
    expect(answer.status).toBe(200);
    expect(rules(answer)).toEqual(expect.arrayContaining([
      { rule: 'fhir-binding-required', at: `${CLAIM}.status`, severity: 'error' },
      { rule: 'fhir-format', at: `${CLAIM}.created`, severity: 'error' },
      { rule: 'fhir-unknown-element', at: `${CLAIM}.colour`, severity: 'error' },
      { rule: 'pas-claim-total', at: expect.stringMatching(/^Bundle\.entry\[0\]\.resource/), severity: 'error' },
    ]));
    const texts = ((answer.body as unknown as OperationOutcome).issue ?? []).map((i) => i.details?.text).join('\n');
    expect(texts).toMatch(/n'appartient pas au jeu de valeurs/);
    expect(texts).toMatch(/Élément inconnu « colour »/);
  });

  it('takes Parameters with a resource and a profile (a pack version that is not yet in force)', async () => {
    const claim = claimBundle().entry![0]!.resource;
    const answer = await validate({
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', resource: claim }, { name: 'profile', valueCanonical: `${BASE}/demo-ipm/StructureDefinition/demo-ipm-claim|2.0.0` }],
    }, { path: '/fhir/Claim/$validate' });
    expect(answer.status).toBe(200);
    expect(rules(answer).map((r) => r.rule)).toEqual(expect.arrayContaining(['ipm-claim-icd10']));
  });

  it('checks an insurer\'s packs in force with ?insurer=', async () => {
    const bundle = claimBundle();
    (bundle.entry![0]!.resource as unknown as { item: Array<{ productOrService: { coding: Array<{ system: string }> } }> }).item[0]!.productOrService.coding[0]!.system = 'urn:other:tariff';
    const withInsurer = await validate(bundle, { path: '/fhir/$validate?insurer=demo-insurer' });
    expect(rules(withInsurer).map((r) => r.rule)).toContain('ipm-claim-tariff');
    const baseOnly = await validate(bundle);
    expect(rules(baseOnly).map((r) => r.rule)).not.toContain('ipm-claim-tariff');
    expectOutcome(await validate(bundle, { path: '/fhir/$validate?insurer=demo-clinic' }), 422, 'insurer-unknown');
  });

  it("judges with an insurer's packs only the Coverages that insurer pays, not another payer's", async () => {
    const bundle = JSON.parse(readFileSync('sandbox/fixtures/claim-bundle-two-payers.json', 'utf8')) as { entry: Array<{ resource: Record<string, unknown> }> };
    const coverages = bundle.entry.filter((e) => e.resource.resourceType === 'Coverage').map((e) => e.resource as { identifier: unknown[]; payor: Array<{ identifier: { value: string } }> });
    expect(coverages.map((c) => c.payor[0]!.identifier.value)).toEqual(['demo-insurer', 'demo-mutuelle']);
    const atIpm = (answer: HttpAnswer) => rules(answer).filter((r) => r.rule === 'ipm-coverage-member').map((r) => r.at);
    // The mutuelle's Coverage carries no IPM member number: none is asked of it.
    expect(atIpm(await validate(bundle, { path: '/fhir/$validate?insurer=demo-insurer' }))).toEqual([]);
    // The IPM's own Coverage without it is refused, and so is a Coverage naming no payor the gateway knows.
    coverages[0]!.identifier = [{ system: 'urn:other', value: 'x' }];
    expect(atIpm(await validate(bundle, { path: '/fhir/$validate?insurer=demo-insurer' }))).toEqual(['Bundle.entry[2].resource']);
    coverages[1]!.payor = [];
    expect(atIpm(await validate(bundle, { path: '/fhir/$validate?insurer=demo-insurer' }))).toHaveLength(2);
  });

  it('reports an unknown profile asked for as an error, not a silent pass', async () => {
    const answer = await validate({ resourceType: 'Parameters', parameter: [
      { name: 'resource', resource: { resourceType: 'Patient', identifier: [{ system: 'urn:x', value: '1' }] } },
      { name: 'profile', valueUri: 'https://example.org/StructureDefinition/nope' },
    ] });
    expect(rules(answer)).toEqual(expect.arrayContaining([{ rule: 'fhir-profile-unknown', at: 'Patient', severity: 'error' }]));
  });

  it('refuses a resource of another type than the URL names (422), an unknown type (404), and a caller without token (401)', async () => {
    expectOutcome(await validate({ resourceType: 'Patient' }, { path: '/fhir/Claim/$validate' }), 422, 'resource-type');
    expectOutcome(await validate({ resourceType: 'Patient' }, { path: '/fhir/Claim2/$validate' }), 404, 'not-found');
    expectOutcome(await validate({ resourceType: 'Patient' }, { client: null }), 401, 'unauthenticated');
  });

  it('names STU3 and R5 resources for what they are', async () => {
    const stu3 = await validate({ resourceType: 'EligibilityRequest', status: 'active' });
    expect(rules(stu3)).toEqual([{ rule: 'fhir-version-mismatch', at: 'EligibilityRequest.resourceType', severity: 'error' }]);
    const claim = claimBundle().entry![0]!.resource as unknown as Record<string, unknown>;
    const r5 = await validate({ ...claim, encounter: [{ reference: 'Encounter/1' }], traceNumber: [{ value: 'x' }] }, { path: '/fhir/Claim/$validate' });
    expect(rules(r5)).toEqual(expect.arrayContaining([{ rule: 'fhir-version-mismatch', at: 'Claim', severity: 'error' }]));
  });
});

/** The language and text of an element's translation extension. */
function translation(element: { extension?: Extension[] } | undefined): { lang?: string; content?: string } | undefined {
  const ext = element?.extension?.find((e) => e.url === TRANSLATION_EXTENSION);
  return ext && { lang: ext.extension?.find((e) => e.url === 'lang')?.valueCode, content: ext.extension?.find((e) => e.url === 'content')?.valueString };
}

/** Where a description or documentation has no translation into the other language (or one that is empty or the same text). */
function untranslated(value: unknown, language: 'en' | 'fr', at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => untranslated(item, language, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const object = value as Record<string, unknown>;
  return Object.entries(object).flatMap(([key, item]) => {
    if ((key === 'description' || key === 'documentation') && typeof item === 'string') {
      const other = translation(object[`_${key}`] as { extension?: Extension[] } | undefined);
      return other?.lang === (language === 'en' ? 'fr' : 'en') && other.content && other.content !== item ? [] : [`${at}.${key}`];
    }
    return untranslated(item, language, `${at}.${key}`);
  });
}

/** A statement without its texts. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !/^_?(description|documentation|language)$/.test(key)).map(([key, item]) => [key, strip(item)]));
}

describe('published conformance resources', () => {
  it('serves a CapabilityStatement listing resources, operations, supported profiles and the auth it expects, without a token', async () => {
    const res = await fetch(`${gw.url}/fhir/metadata`);
    expect(res.status).toBe(200);
    const cs = (await res.json()) as CapabilityStatement;
    expect(cs).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance', format: ['json'] });
    const rest = cs.rest![0]!;
    expect(rest.security?.service?.[0]?.coding?.[0]?.code).toBe('SMART-on-FHIR');
    expect(rest.operation?.map((o) => o.name)).toContain('validate');
    const claim = rest.resource?.find((r) => r.type === 'Claim');
    expect(claim?.operation?.map((o) => o.name)).toContain('submit');
    expect(claim?.interaction?.map((i) => i.code)).toContain('read');
    expect(claim?.supportedProfile).toEqual(expect.arrayContaining([`${BASE}/passerelle-base/StructureDefinition/passerelle-claim|1.0.0`, `${BASE}/demo-ipm/StructureDefinition/demo-ipm-claim|2.0.0`]));
    expect(rest.resource?.find((r) => r.type === 'StructureDefinition')?.searchParam?.map((p) => p.name)).toEqual(['url', 'version', 'name']);
  });

  it('answers the CapabilityStatement in the language asked for (Accept-Language, ?lang=), the other language in the translation extension', async () => {
    const metadata = async (query: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${gw.url}/fhir/metadata${query}`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('vary')).toMatch(/Accept-Language/i);
      return { cs: (await res.json()) as CapabilityStatement & Translated, language: res.headers.get('content-language') };
    };
    type Translated = { _description?: { extension?: Extension[] } };
    const submit = describedRoutes().find((r) => r.path === '/fhir/Claim/$submit')!.operation.summary;

    const english = await metadata('');
    expect(english.language).toBe('en');
    expect(english.cs.language).toBe('en');
    expect(english.cs.description).toMatch(/^The FHIR R4 API of Passerelle/);
    expect(translation(english.cs._description)).toEqual({ lang: 'fr', content: expect.stringMatching(/^L'API FHIR R4 de Passerelle/) });

    for (const french of [await metadata('', { 'Accept-Language': 'fr-SN, fr;q=0.9' }), await metadata('?lang=fr', { 'Accept-Language': 'en' })]) {
      expect(french.language).toBe('fr');
      const cs = french.cs;
      expect(cs.language).toBe('fr');
      expect(cs.description).toBe(translation(english.cs._description)?.content);
      expect(translation(cs._description)).toEqual({ lang: 'en', content: english.cs.description });
      const rest = cs.rest![0]!;
      expect(rest.security?.description).toMatch(/^SMART Backend Services : un jeton d'accès/);
      const claimSubmit = rest.resource?.find((r) => r.type === 'Claim')?.operation?.find((o) => o.name === 'submit') as { documentation?: string; _documentation?: { extension?: Extension[] } };
      expect(claimSubmit.documentation).toBe(submit.fr);
      expect(translation(claimSubmit._documentation)).toEqual({ lang: 'en', content: submit.en });
      // Nothing is left untranslated: every description and documentation carries the other language.
      expect(untranslated(cs, 'fr')).toEqual([]);
      // The rest is the same statement.
      expect(strip(cs)).toEqual(strip(english.cs));
    }
    expect(untranslated(english.cs, 'en')).toEqual([]);
    // Still a valid R4 resource, translation extensions and all.
    const checked = await validate((await metadata('?lang=fr')).cs, { path: '/fhir/CapabilityStatement/$validate' });
    expect(rules(checked).filter((r) => r.severity === 'error' || r.severity === 'fatal')).toEqual([]);
    expect((await metadata('?lang=en', { 'Accept-Language': 'fr' })).cs.description).toBe(english.cs.description);
  });

  it('serves every published artefact exactly as committed, by url|version, by url and version, and by id (newest)', async () => {
    const files = publishedFiles();
    expect(files.length).toBeGreaterThan(10);
    for (const { resource } of files) {
      const type = resource.resourceType as string;
      const byCanonical = (await (await fetch(`${gw.url}/fhir/${type}?url=${encodeURIComponent(`${String(resource.url)}|${String(resource.version)}`)}`)).json()) as { total: number; entry: Array<{ resource: unknown }> };
      expect({ url: resource.url, total: byCanonical.total }).toEqual({ url: resource.url, total: 1 });
      expect(byCanonical.entry[0]!.resource).toEqual(resource);
      const byVersion = (await (await fetch(`${gw.url}/fhir/${type}?url=${encodeURIComponent(String(resource.url))}&version=${String(resource.version)}`)).json()) as { total: number };
      expect(byVersion.total).toBe(1);
    }
    const newest = files.filter((f) => f.resource.id === 'demo-ipm-claim').sort((a, b) => b.version.localeCompare(a.version))[0]!;
    const read = await fetch(`${gw.url}/fhir/StructureDefinition/demo-ipm-claim`);
    expect(await read.json()).toEqual(newest.resource);
    expect((await fetch(`${gw.url}/fhir/ValueSet/nope`)).status).toBe(404);
  });

  it('validates the published examples of the gateway\'s own answers: a queued ClaimResponse meets the base pack', async () => {
    const submitted = await gw.submit(claimBundle(undefined, { identifier: 'CLM-VALIDATE-QUEUED' }));
    expect(submitted.status).toBe(202);
    const answer = await validate(submitted.body, { path: '/fhir/ClaimResponse/$validate' });
    expect(rules(answer).filter((r) => r.severity === 'error')).toEqual([]);
  });
});

describe('submission uses the same engine', () => {
  it('accepts a claim with warnings and returns them in the queued ClaimResponse, in the caller\'s language', async () => {
    const bundle = claimBundle(undefined, { identifier: 'CLM-VALIDATE-WARNINGS' });
    const claim = bundle.entry![0]!.resource as unknown as { item: Array<{ productOrService: { coding: Array<{ code: string }> } }>; meta?: unknown };
    claim.item[0]!.productOrService.coding[0]!.code = 'CONS99'; // in the tariff's system, not in its value set: extensible binding
    claim.meta = { profile: ['https://example.org/StructureDefinition/hospital-claim'] };
    const answer = await gw.submit(bundle, 'demo-clinic', { 'Accept-Language': 'fr' });
    expect(answer.status).toBe(202);
    const response = answer.body as unknown as { contained: Array<{ id: string; issue: Array<{ severity: string; details: { coding: Array<{ code: string }>; text: string }; expression: string[] }> }>; extension: Array<{ valueReference: { reference: string } }>; disposition: string };
    expect(response.extension[0]!.valueReference.reference).toBe('#validation');
    const issues = response.contained.find((c) => c.id === 'validation')!.issue;
    expect(issues.map((i) => [i.severity, i.details.coding[1]!.code, i.expression[0]])).toEqual(expect.arrayContaining([
      ['warning', 'fhir-binding-extensible', `${CLAIM}.item[0].productOrService`],
      ['information', 'fhir-profile-unknown', CLAIM],
    ]));
    expect(issues.map((i) => i.details.text).join(' ')).toMatch(/liaison extensible/);
    expect(response.disposition).toMatch(/warning/);
  });
});

describe('pack versions roll out on a set date', () => {
  const scheduleDemoIpm = async (from: string) => {
    const token = await gw.token('demo-operator');
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const current = (await (await fetch(`${gw.url}/admin/participants/demo-insurer`, { headers })).json()) as Record<string, unknown>;
    const res = await fetch(`${gw.url}/admin/participants/demo-insurer`, {
      method: 'PUT', headers, body: JSON.stringify({
        name: current.name, adapter: current.adapter, adapterSettings: current.adapterSettings,
        profilePacks: [{ pack: 'demo-ipm', version: '1.0.0' }, { pack: 'demo-ipm', version: '2.0.0', from }],
      }),
    });
    expect(res.status).toBe(200);
  };
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

  it('keeps the old version working until the date, then applies the new one', async () => {
    await scheduleDemoIpm(day(2));
    expect((await gw.submit(claimBundle(undefined, { identifier: 'CLM-ROLLOUT-BEFORE' }))).status).toBe(202);
    await scheduleDemoIpm(day(-1));
    const after = await gw.submit(claimBundle(undefined, { identifier: 'CLM-ROLLOUT-AFTER' }));
    const issues = expectOutcome(after, 422, 'validation');
    expect(issues.map((i) => i.details?.coding?.[1]?.code)).toEqual(expect.arrayContaining(['ipm-claim-icd10', 'fhir-cardinality-min']));
    expect(issues.map((i) => i.diagnostics).join(' ')).toMatch(/demo-ipm-claim/);
  }, 30_000);
});

