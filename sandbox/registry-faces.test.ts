// The faces of the sandbox's member registry over real HTTP: the Coverage search (live mode and
// incremental sync), the exports (synced mode), member changes through the control API, and how those
// changes reach eligibility and claims; plus the fault rules aimed at these routes.
import { readFileSync } from 'node:fs';
import type { Bundle, ClaimResponse, Coverage, CoverageEligibilityResponse, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { Client } from 'fhir-kit-client';
import { pino } from 'pino';
import { startSandbox, type SandboxHandle, type SandboxOptions } from './server.js';

// Fixtures are dated 2025; the clock is pinned inside that year, so the server starts at NOW and every
// change made through the control API is stamped NOW + 1 ms, + 2 ms, ...
const NOW = new Date('2025-06-15T10:00:00.000Z');
const START = NOW.toISOString();
const SYSTEM = 'urn:passerelle:demo-insurer:member';
const silent = pino({ level: 'silent' });

interface Answer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

function fixture(name: string, member?: string): unknown {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return JSON.parse(member ? text.replaceAll('"M0042"', JSON.stringify(member)) : text);
}

function sandboxOptions(overrides: Partial<SandboxOptions> = {}): SandboxOptions {
  return { port: 0, now: () => NOW, control: true, logger: silent, pendDelayMs: 3_600_000, ...overrides };
}

async function request<T>(url: string, init: RequestInit = {}): Promise<Answer<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

function post<T>(url: string, body: unknown): Promise<Answer<T>> {
  return request<T>(url, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
}

function subscribers(bundle: Bundle): (string | undefined)[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => (e.resource as Coverage).subscriberId);
}

describe('member registry over HTTP', () => {
  let sandbox: SandboxHandle;
  const fhir = (insurer = 'demo-insurer'): string => `${sandbox.url}/${insurer}/fhir`;
  const search = (query: string, insurer = 'demo-insurer'): Promise<Answer<Bundle>> => request<Bundle>(`${fhir(insurer)}/Coverage?${query}`);
  const changeMember = (change: object): Promise<Answer<Record<string, unknown>>> => post(`${sandbox.url}/_control/members`, change);
  const addFault = async (fault: object): Promise<void> => {
    expect((await post(`${sandbox.url}/_control/faults`, fault)).status).toBe(201);
  };
  const eligibility = (body: unknown): Promise<Answer<CoverageEligibilityResponse>> => post(`${fhir()}/CoverageEligibilityRequest/$submit`, body);
  const claim = (body: unknown): Promise<Answer<ClaimResponse>> => post(`${fhir()}/Claim/$submit`, body);

  beforeAll(async () => {
    sandbox = await startSandbox(sandboxOptions());
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
  });

  describe('Coverage search', () => {
    test('finds a member by identifier, with or without the system, and by beneficiary:identifier', async () => {
      const res = await search(`identifier=${encodeURIComponent(`${SYSTEM}|M0042`)}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
      expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
      expect(res.body.entry).toEqual([
        {
          fullUrl: `${fhir()}/Coverage/cov-M0042`,
          search: { mode: 'match' },
          resource: {
            resourceType: 'Coverage',
            id: 'cov-M0042',
            meta: { lastUpdated: START },
            status: 'active',
            identifier: [{ system: SYSTEM, value: 'M0042' }],
            subscriberId: 'M0042',
            beneficiary: { reference: 'Patient/pat-M0042', identifier: { system: SYSTEM, value: 'M0042' } },
            relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
            period: { start: '2025-01-01', end: '2025-12-31' },
            payor: [{ identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } }],
            class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan' }] }, value: 'STANDARD', name: 'STANDARD' }],
          },
        },
      ]);
      expect(subscribers((await search('identifier=M0950')).body)).toEqual(['M0950']);
      expect((await search(`beneficiary:identifier=${encodeURIComponent(`${SYSTEM}|M0001`)}`)).body.entry?.[0]?.resource).toMatchObject({ id: 'cov-M0001' });
      // Each insurer answers its own members only.
      expect(subscribers((await search('identifier=C0001', 'demo-mutuelle')).body)).toEqual(['C0001']);
      expect((await search('identifier=C0001')).body.total).toBe(0);
    });

    test('an unknown member, or another system, gives an empty searchset', async () => {
      for (const query of ['identifier=M4321', `identifier=${encodeURIComponent('urn:other|M0042')}`]) {
        const res = await search(query);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] });
      }
    });

    test('_include=Coverage:beneficiary adds each Patient after its Coverage', async () => {
      const res = await search('identifier=M0042&_include=Coverage:beneficiary');
      const [coverage, patient] = res.body.entry ?? [];
      expect(coverage?.search?.mode).toBe('match');
      expect(patient).toMatchObject({ fullUrl: `${fhir()}/Patient/pat-M0042`, search: { mode: 'include' } });
      const resource = patient?.resource as Patient;
      expect(resource).toMatchObject({ resourceType: 'Patient', id: 'pat-M0042', meta: { lastUpdated: START }, identifier: [{ system: SYSTEM, value: 'M0042' }] });
      expect(resource.name?.[0]?.family).toEqual(expect.any(String));
      expect(resource.name?.[0]?.given?.[0]).toEqual(expect.any(String));
      expect(resource.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });

    test('paging through the next links collects every member exactly once, a change last', async () => {
      expect((await changeMember({ insurer: 'demo-insurer', member: 'M0500', plan: 'GOLD' })).status).toBe(201);
      const seen: (string | undefined)[] = [];
      let url: string | undefined = `${fhir()}/Coverage?_count=150`;
      let pages = 0;
      while (url && pages < 20) {
        const res: Answer<Bundle> = await request<Bundle>(url);
        expect(res.status).toBe(200);
        expect(res.body.link?.find((l) => l.relation === 'self')?.url).toBe(url);
        seen.push(...subscribers(res.body));
        url = res.body.link?.find((l) => l.relation === 'next')?.url;
        // Absolute links on the request's own host and path.
        if (url) expect(url.startsWith(`${fhir()}/Coverage?`)).toBe(true);
        pages += 1;
      }
      expect(pages).toBe(7);
      expect(seen).toHaveLength(1000);
      expect(new Set(seen).size).toBe(1000);
      expect(seen.at(-1)).toBe('M0500');
      expect(seen.slice(498, 501)).toEqual(['M0499', 'M0501', 'M0502']);
    });

    test('fhir-kit-client follows the next links the sandbox gives', async () => {
      type Page = Parameters<Client['nextPage']>[0]['bundle'];
      const client = new Client({ baseUrl: fhir('demo-mutuelle') });
      let page = (await client.search({ resourceType: 'Coverage', searchParams: { _count: 400 } })) as Page;
      const seen = subscribers(page as unknown as Bundle);
      for (let next = client.nextPage({ bundle: page }); next; next = client.nextPage({ bundle: page })) {
        page = (await next) as Page;
        seen.push(...subscribers(page as unknown as Bundle));
      }
      expect(seen).toHaveLength(1000);
      expect(seen[0]).toBe('C0001');
      expect(seen.at(-1)).toBe('C1000');
    });

    test('_lastUpdated=gt returns only what changed after the instant', async () => {
      const since = (instant: string, prefix = 'gt'): Promise<Answer<Bundle>> => search(`_lastUpdated=${prefix}${encodeURIComponent(instant)}`);
      expect((await since(START)).body.entry).toEqual([]);

      const first = await changeMember({ insurer: 'demo-insurer', member: 'M0042', status: 'cancelled' });
      const firstAt = first.body.lastUpdated as string;
      // The clock stands still, so the stamp is the start plus a few ms (stamps never repeat, even across resets).
      expect(Date.parse(firstAt)).toBeGreaterThan(NOW.getTime());
      expect(subscribers((await since(START)).body)).toEqual(['M0042']);

      const second = await changeMember({ insurer: 'demo-insurer', member: 'M2001' });
      expect(Date.parse(second.body.lastUpdated as string)).toBe(Date.parse(firstAt) + 1);
      const afterFirst = await since(firstAt);
      expect(subscribers(afterFirst.body)).toEqual(['M2001']);
      expect(afterFirst.body.entry?.[0]?.resource?.meta?.lastUpdated).toBe(second.body.lastUpdated);
      expect(subscribers((await since(firstAt, 'ge')).body)).toEqual(['M0042', 'M2001']);
      // The same instant written with a time zone offset.
      const offset = `2025-06-15T11:${firstAt.slice(14, 23)}+01:00`;
      expect(subscribers((await since(offset)).body)).toEqual(['M2001']);
      // Changes of one insurer are not changes of another.
      expect((await search(`_lastUpdated=gt${START}`, 'demo-mutuelle')).body.entry).toEqual([]);
    });

    test('answers 400 naming an unknown parameter, and for an unsupported prefix', async () => {
      const res = await request<OperationOutcome>(`${fhir()}/Coverage?identifier=M0042&patient=Patient/1`);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue).toEqual([expect.objectContaining({ severity: 'error', code: 'not-supported', diagnostics: expect.stringContaining('"patient"') })]);
      expect((await search(`_lastUpdated=lt${START}`)).status).toBe(400);
      expect((await search('_count=many')).status).toBe(400);
      expect((await search('_cursor=not-a-cursor')).status).toBe(400);
    });

    test('an unknown insurer is a 404; the capability statement lists the search', async () => {
      const res = await request<OperationOutcome>(`${fhir('no-such-insurer')}/Coverage?identifier=M0042`);
      expect(res.status).toBe(404);
      expect(res.body.issue[0]?.code).toBe('not-found');
      const metadata = await request<{ rest: { resource: { type: string; searchParam?: { name: string }[] }[] }[] }>(`${fhir()}/metadata`);
      const coverage = metadata.body.rest[0]?.resource.find((r) => r.type === 'Coverage');
      expect(coverage?.searchParam?.map((p) => p.name)).toEqual(['identifier', 'beneficiary', '_lastUpdated']);
    });
  });

  describe('member changes', () => {
    test('a cancelled member: Coverage cancelled, claims refused like lapsed coverage, eligibility not in force', async () => {
      const changed = await changeMember({ insurer: 'demo-insurer', member: 'M0042', status: 'cancelled' });
      expect(changed.status).toBe(201);
      expect(changed.body).toMatchObject({ insurer: 'demo-insurer', member: 'M0042', status: 'cancelled', plan: 'STANDARD', period: { start: '2025-01-01', end: '2025-12-31' } });

      expect((await search('identifier=M0042')).body.entry?.[0]?.resource).toMatchObject({ status: 'cancelled', meta: { lastUpdated: changed.body.lastUpdated } });
      const refused = await claim(fixture('claim-bundle-covered-member.json'));
      expect(refused.body.outcome).toBe('error');
      expect(refused.body.error?.[0]?.code.coding?.[0]?.code).toBe('coverage-inactive');
      const checked = await eligibility(fixture('eligibility-bundle-covered-member.json'));
      expect(checked.body).toMatchObject({ outcome: 'complete', insurance: [{ inforce: false }] });
    });

    test('a member created outside the ranges is covered for claims and eligibility', async () => {
      expect((await claim(fixture('claim-bundle-covered-member.json', 'M2001'))).body.error?.[0]?.code.coding?.[0]?.code).toBe('member-unknown');
      await changeMember({ insurer: 'demo-insurer', member: 'M2001', plan: 'GOLD' });

      const adjudicated = await claim(fixture('claim-bundle-covered-member.json', 'M2001'));
      expect(adjudicated.body.outcome).toBe('complete');
      expect(adjudicated.body.total?.find((t) => t.category.coding?.[0]?.code === 'benefit')?.amount.value).toBe(20000);
      const checked = await eligibility(fixture('eligibility-bundle-covered-member.json', 'M2001'));
      expect(checked.body).toMatchObject({ outcome: 'complete', insurance: [{ inforce: true, benefitPeriod: { start: '2025-01-01', end: '2025-12-31' } }] });
    });

    test('a changed period moves the member out of force; reset brings the range back', async () => {
      await changeMember({ insurer: 'demo-insurer', member: 'M0042', period: { start: '2024-01-01', end: '2024-12-31' } });
      expect((await eligibility(fixture('eligibility-bundle-covered-member.json'))).body.insurance?.[0]).toMatchObject({ inforce: false, benefitPeriod: { start: '2024-01-01' } });

      expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
      expect((await eligibility(fixture('eligibility-bundle-covered-member.json'))).body.insurance?.[0]).toMatchObject({ inforce: true, benefitPeriod: { start: '2025-01-01' } });
      expect((await search('identifier=M0042')).body.entry?.[0]?.resource?.meta?.lastUpdated).toBe(START);
    });

    test('refuses an invalid change with 400 and changes nothing', async () => {
      const bad = [
        { insurer: 'demo-insurer', member: 'M0042', status: 'suspended' },
        { insurer: 'no-such-insurer', member: 'M0042' },
        { insurer: 'demo-insurer', member: 'M 42' },
        { insurer: 'demo-insurer', member: 'M0042', period: { start: '2025-12-31', end: '2025-01-01' } },
        { insurer: 'demo-insurer', member: 'M0042', colour: 'blue' },
        { member: 'M0042' },
      ];
      for (const change of bad) {
        const res = await changeMember(change);
        expect(res.status).toBe(400);
        expect((res.body as unknown as OperationOutcome).issue[0]).toMatchObject({ severity: 'error', code: 'invalid' });
      }
      expect((await search(`_lastUpdated=gt${START}`)).body.entry).toEqual([]);
    });
  });

  describe('exports', () => {
    test('NDJSON: a Patient line then its Coverage line per member, by member number, changes included', async () => {
      await changeMember({ insurer: 'demo-insurer', member: 'M0002', status: 'cancelled' });
      await changeMember({ insurer: 'demo-insurer', member: 'M2001' });
      const res = await fetch(`${sandbox.url}/demo-insurer/export/members.ndjson`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+ndjson/);
      const text = await res.text();
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      expect(lines).toHaveLength(2 * 1001);
      const resources = lines.map((l) => JSON.parse(l) as Patient | Coverage);
      resources.forEach((r, i) => expect(r.resourceType).toBe(i % 2 === 0 ? 'Patient' : 'Coverage'));
      const coverages = resources.filter((r): r is Coverage => r.resourceType === 'Coverage');
      expect(coverages.map((c) => c.subscriberId)).toEqual([...coverages.map((c) => c.subscriberId)].sort());
      expect(coverages.at(-1)?.subscriberId).toBe('M2001');
      expect(resources[2]).toMatchObject({ resourceType: 'Patient', id: 'pat-M0002' });
      expect(resources[3]).toMatchObject({ resourceType: 'Coverage', id: 'cov-M0002', status: 'cancelled' });
      // The same resources as the search.
      expect(resources[1]).toEqual((await search('identifier=M0001')).body.entry?.[0]?.resource);
    });

    test('CSV: the exact header, one row per member, quoted fields, limit', async () => {
      await changeMember({ insurer: 'demo-insurer', member: 'M0002', plan: 'GOLD, "plus"', status: 'cancelled' });
      const res = await fetch(`${sandbox.url}/demo-insurer/export/members.csv?limit=3`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(await res.text()).toBe(
        [
          'member_id,coverage_id,plan,start,end,status,relationship,subscriber_id',
          'M0001,cov-M0001,STANDARD,2025-01-01,2025-12-31,active,self,M0001',
          'M0002,cov-M0002,"GOLD, ""plus""",2025-01-01,2025-12-31,cancelled,self,M0002',
          'M0003,cov-M0003,STANDARD,2025-01-01,2025-12-31,active,self,M0003',
          '',
        ].join('\r\n'),
      );
      const all = (await (await fetch(`${sandbox.url}/demo-mutuelle/export/members.csv`)).text()).split('\r\n');
      expect(all).toHaveLength(1 + 1000 + 1);
      expect(all[1000]).toBe('C1000,cov-C1000,STANDARD,2024-01-01,2024-12-31,active,self,C1000');
    });

    test('unknown insurer 404, unknown parameter or bad limit 400', async () => {
      expect((await fetch(`${sandbox.url}/no-such-insurer/export/members.csv`)).status).toBe(404);
      expect((await fetch(`${sandbox.url}/demo-insurer/export/members.csv?since=2025`)).status).toBe(400);
      expect((await fetch(`${sandbox.url}/demo-insurer/export/members.ndjson?limit=-1`)).status).toBe(400);
    });
  });

  describe('fault rules', () => {
    test('delayMs alone answers normally, after the delay, on the route it names', async () => {
      await addFault({ operation: 'Coverage', delayMs: 200 });
      const started = performance.now();
      const slow = await search('identifier=M0042');
      // Timers may fire a millisecond early; the point is that the answer was held back.
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
      expect(slow.status).toBe(200);
      expect(subscribers(slow.body)).toEqual(['M0042']);

      await addFault({ insurer: 'demo-insurer', delayMs: 200 });
      const before = performance.now();
      const adjudicated = await claim(fixture('claim-bundle-covered-member.json'));
      expect(performance.now() - before).toBeGreaterThanOrEqual(190);
      expect(adjudicated.status).toBe(200);
      expect(adjudicated.body.outcome).toBe('complete');
      expect((await request<{ faults: unknown[] }>(`${sandbox.url}/_control/faults`)).body.faults).toEqual([]);
    });

    test('a rule without operation leaves the Coverage search alone; operation picks one route', async () => {
      await addFault({ insurer: 'demo-insurer', status: 503 });
      expect((await search('identifier=M0042')).status).toBe(200);
      expect((await claim(fixture('claim-bundle-covered-member.json'))).status).toBe(503);

      await addFault({ operation: 'CoverageEligibilityRequest/$submit', status: 429, count: 2 });
      expect((await claim(fixture('claim-bundle-covered-member.json'))).status).toBe(200);
      expect((await eligibility(fixture('eligibility-bundle-covered-member.json'))).status).toBe(429);

      await fetch(`${sandbox.url}/_control/faults`, { method: 'DELETE' });
      await addFault({ operation: 'Coverage', status: 503 });
      expect((await eligibility(fixture('eligibility-bundle-covered-member.json'))).status).toBe(200);
      const faulted = await request<OperationOutcome>(`${fhir()}/Coverage?identifier=M0042`);
      expect(faulted.status).toBe(503);
      expect(faulted.body.issue[0]?.code).toBe('transient');
      expect((await search('identifier=M0042')).status).toBe(200);
    });

    test('refuses an unknown operation or a negative delay', async () => {
      for (const fault of [{ operation: 'Patient' }, { delayMs: -1 }, { delayMs: 600_001 }]) {
        expect((await post(`${sandbox.url}/_control/faults`, fault)).status).toBe(400);
      }
    });
  });

  describe('eligibility', () => {
    test('purpose benefits: the plan and one benefit per requested item, excluded services marked', async () => {
      const bundle = fixture('eligibility-bundle-covered-member.json') as { entry: { resource: Record<string, unknown> }[] };
      const lab = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-benefitcategory', code: '5', display: 'Diagnostic Lab' }] };
      Object.assign(bundle.entry[0]!.resource, {
        purpose: ['benefits'],
        item: [{ category: lab, productOrService: { coding: [{ code: 'LAB01' }] } }, { category: lab, productOrService: { coding: [{ code: 'COSM01' }] } }],
      });
      await changeMember({ insurer: 'demo-insurer', member: 'M0042', plan: 'GOLD' });
      const res = await eligibility(bundle);
      expect(res.status).toBe(200);
      const insurance = res.body.insurance?.[0];
      expect(insurance?.coverage).toEqual({ identifier: { system: SYSTEM, value: 'M0042' }, display: 'Plan GOLD' });
      expect(insurance?.item).toEqual([
        {
          category: lab,
          productOrService: { coding: [{ code: 'LAB01' }] },
          benefit: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'copay-percent' }] }, allowedUnsignedInt: 20 }],
        },
        { category: lab, productOrService: { coding: [{ code: 'COSM01' }] }, excluded: true },
      ]);
    });

    test('purpose benefits without items: one Medical Care benefit, at the insurer\'s rate', async () => {
      const res = await post<CoverageEligibilityResponse>(`${fhir('demo-mutuelle')}/CoverageEligibilityRequest/$submit`, {
        resourceType: 'CoverageEligibilityRequest',
        id: 'benefits-mutuelle',
        status: 'active',
        purpose: ['benefits'],
        patient: { identifier: { system: 'urn:passerelle:demo-mutuelle:member', value: 'C0007' } },
        created: '2025-06-15',
        insurer: { identifier: { system: 'urn:passerelle:participant', value: 'demo-mutuelle' } },
      });
      expect(res.body.insurance?.[0]?.item).toEqual([
        {
          category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-benefitcategory', code: '1', display: 'Medical Care' }] },
          benefit: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'copay-percent' }] }, allowedUnsignedInt: 50 }],
        },
      ]);
    });

    test('purpose discovery: a request naming only a Patient with a member identifier is answered', async () => {
      const bundle = fixture('eligibility-bundle-covered-member.json') as { entry: { resource: Record<string, unknown> }[] };
      const request = bundle.entry[0]!.resource;
      delete request.insurance;
      request.purpose = ['discovery'];
      bundle.entry.splice(2, 1); // the Coverage
      const res = await eligibility(bundle);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        outcome: 'complete',
        purpose: ['discovery'],
        patient: { identifier: { system: SYSTEM, value: 'M0042' } },
        insurance: [{ inforce: true, coverage: { identifier: { value: 'M0042' }, display: 'Plan STANDARD' } }],
      });
    });
  });
});

describe('a registry of ten million members', () => {
  let sandbox: SandboxHandle;
  const base = (): string => `${sandbox.url}/big/fhir`;

  beforeAll(async () => {
    const insurer = {
      id: 'big',
      name: 'Big insurer',
      memberSystem: 'urn:test:big:member',
      members: [{ prefix: 'B', digits: 7, from: 0, to: 9_999_999, coverage: { startYearOffset: 0, endYearOffset: 0 }, plan: 'BASIC' }],
      payerSharePercent: 70,
      excludedServiceCodes: [],
      pendThreshold: 1_000_000,
      currency: 'XOF' as const,
      gatewayClient: { clientId: 'big', clientSecret: 'big-secret' },
    };
    sandbox = await startSandbox(sandboxOptions({ seed: { insurers: [insurer] } }));
  });
  afterAll(() => sandbox.close());

  // Building ten million resources would take minutes and gigabytes: answering at once shows the range
  // is walked lazily and the cursor seeks.
  test('searches, pages and exports without materialising the range', async () => {
    const first = await request<Bundle>(`${base()}/Coverage?_count=2`);
    expect(subscribers(first.body)).toEqual(['B0000000', 'B0000001']);
    const next = first.body.link?.find((l) => l.relation === 'next')?.url;
    expect(subscribers((await request<Bundle>(next ?? 'missing')).body)).toEqual(['B0000002', 'B0000003']);

    const last = await request<Bundle>(`${base()}/Coverage?identifier=B9999999`);
    expect(last.body.entry?.[0]?.resource).toMatchObject({ id: 'cov-B9999999', class: [{ value: 'BASIC' }] });

    await post(`${sandbox.url}/_control/members`, { insurer: 'big', member: 'B9999998', status: 'cancelled' });
    const changed = await request<Bundle>(`${base()}/Coverage?_lastUpdated=gt${START}`);
    expect(subscribers(changed.body)).toEqual(['B9999998']);

    const csv = await (await fetch(`${sandbox.url}/big/export/members.csv?limit=2`)).text();
    expect(csv.split('\r\n')).toEqual(['member_id,coverage_id,plan,start,end,status,relationship,subscriber_id', 'B0000000,cov-B0000000,BASIC,2025-01-01,2025-12-31,active,self,B0000000', 'B0000001,cov-B0000001,BASIC,2025-01-01,2025-12-31,active,self,B0000001', '']);
  });

  test('a large export streams in chunks, and the client may stop reading early', async () => {
    const res = await fetch(`${sandbox.url}/big/export/members.ndjson`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = 0;
    let chunks = 0;
    while (received < 1_000_000) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.length;
      chunks += 1;
    }
    await reader.cancel();
    expect(received).toBeGreaterThanOrEqual(1_000_000);
    expect(chunks).toBeGreaterThan(1);
    // The server is still answering after the client went away mid-stream.
    expect((await fetch(`${sandbox.url}/healthz`)).status).toBe(200);
  });
});
