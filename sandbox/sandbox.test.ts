import { readFileSync } from 'node:fs';
import type { ClaimResponse, CoverageEligibilityResponse, OperationOutcome } from '@medplum/fhirtypes';
import { startGatewayPeer, type GatewayPeer } from '../test/gateway-peer.js';
import { pino } from 'pino';
import { startSandbox, type SandboxHandle, type SandboxOptions } from './server.js';
import type { SandboxStatsSnapshot } from './stats.js';

// Fixtures are dated 2025; the clock is pinned inside that year so "current year" means 2025.
const NOW = new Date('2025-06-15T10:00:00Z');
const silent = pino({ level: 'silent' });

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

function sandboxOptions(overrides: Partial<SandboxOptions> = {}): SandboxOptions {
  return { port: 0, now: () => NOW, control: true, logger: silent, ...overrides };
}

interface Submitted<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

async function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Submitted<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls a condition (no fixed sleep): for effects that land just after the event a test awaited. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function total(response: ClaimResponse, category: string): number | undefined {
  return response.total?.find((t) => t.category.coding?.[0]?.code === category)?.amount.value;
}

async function sandboxStats(sandbox: SandboxHandle): Promise<SandboxStatsSnapshot> {
  return (await (await fetch(`${sandbox.url}/_control/stats`)).json()) as SandboxStatsSnapshot;
}

describe('sandbox insurer over HTTP', () => {
  let sandbox: SandboxHandle;
  const claimUrl = (insurer = 'demo-insurer'): string => `${sandbox.url}/${insurer}/fhir/Claim/$submit`;
  const eligibilityUrl = (insurer = 'demo-insurer'): string => `${sandbox.url}/${insurer}/fhir/CoverageEligibilityRequest/$submit`;
  const stats = (): Promise<SandboxStatsSnapshot> => sandboxStats(sandbox);
  const addFault = (fault: object): Promise<Submitted<unknown>> => post(`${sandbox.url}/_control/faults`, fault, { 'content-type': 'application/json' });

  beforeAll(async () => {
    // Pended claims wait an hour here: those tests live below with their own gateway.
    sandbox = await startSandbox(sandboxOptions({ pendDelayMs: 3_600_000 }));
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
  });

  test('adjudicates a covered member claim and answers application/fhir+json', async () => {
    const res = await post<ClaimResponse>(claimUrl(), fixture('claim-bundle-covered-member.json'));

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(res.body).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete', request: { reference: 'Claim/claim-covered-member' } });
    expect(total(res.body, 'benefit')).toBe(20000);
  });

  test('accepts application/json and answers each insurer under its own base path', async () => {
    const res = await post<ClaimResponse>(claimUrl('demo-mutuelle'), fixture('claim-bundle-mutuelle-member.json'), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    expect(res.body.insurer.identifier?.value).toBe('demo-mutuelle');
    expect(total(res.body, 'benefit')).toBe(7001);
  });

  test.each([
    ['bundle-transaction-not-collection.json', 'invalid', 'Bundle.type'],
    ['claim-bundle-without-items.json', 'required', 'Bundle.entry[0].resource.item'],
  ])('answers 422 with an OperationOutcome for %s', async (name, code, expression) => {
    const res = await post<OperationOutcome>(claimUrl(), fixture(name));

    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue).toContainEqual(expect.objectContaining({ severity: 'error', code, expression: [expression] }));
    expect(res.body.issue.every((i) => typeof i.diagnostics === 'string')).toBe(true);
  });

  test('answers 422 when the body is not a Bundle, 400 when it is not JSON, 415 for another media type', async () => {
    const notBundle = await post<OperationOutcome>(claimUrl(), { resourceType: 'Patient' });
    expect(notBundle.status).toBe(422);
    expect(notBundle.body.issue[0]?.expression).toEqual(['Bundle']);

    expect((await post(claimUrl(), '{"resourceType":', {})).status).toBe(400);
    expect((await post(claimUrl(), 'hello', { 'content-type': 'text/plain' })).status).toBe(415);
  });

  test('answers 404 with an OperationOutcome for an unknown insurer', async () => {
    const res = await post<OperationOutcome>(claimUrl('no-such-insurer'), fixture('claim-bundle-covered-member.json'));
    expect(res.status).toBe(404);
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'not-found' });
  });

  test('replays the stored answer for a repeated Idempotency-Key without adjudicating again', async () => {
    const body = fixture('claim-bundle-covered-member.json');
    const first = await post<ClaimResponse>(claimUrl(), body, { 'idempotency-key': 'key-replay' });
    const second = await post<ClaimResponse>(claimUrl(), body, { 'idempotency-key': 'key-replay' });
    // Keys are per insurer: the same key at another insurer is a new request.
    const other = await post<ClaimResponse>(claimUrl('demo-mutuelle'), fixture('claim-bundle-mutuelle-member.json'), {
      'idempotency-key': 'key-replay',
    });

    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(other.body.id).not.toBe(first.body.id);
    expect(await stats()).toMatchObject({ received: { 'key-replay': 3 }, adjudicated: { 'key-replay': 2 } });
  });

  test('serves injected faults, then handles the request normally', async () => {
    expect((await addFault({ insurer: 'demo-insurer', status: 503, count: 2 })).status).toBe(201);
    const body = fixture('claim-bundle-covered-member.json');
    const headers = { 'idempotency-key': 'key-faults' };

    const failures = [await post<OperationOutcome>(claimUrl(), body, headers), await post<OperationOutcome>(claimUrl(), body, headers)];
    const success = await post<ClaimResponse>(claimUrl(), body, headers);

    expect(failures.map((f) => f.status)).toEqual([503, 503]);
    expect(failures[0]?.body.resourceType).toBe('OperationOutcome');
    expect(success.status).toBe(200);
    expect(success.body.outcome).toBe('complete');
    expect(await stats()).toEqual({
      received: { 'key-faults': 3 },
      adjudicated: { 'key-faults': 1 },
      faultsServed: 2,
      pendedAnswersPosted: 0,
      openimisLogins: {},
    });
  });

  test('a fault for one insurer leaves the others alone; DELETE clears faults', async () => {
    await addFault({ insurer: 'demo-mutuelle', count: 5 });
    expect((await post(claimUrl(), fixture('claim-bundle-covered-member.json'))).status).toBe(200);
    expect((await post(claimUrl('demo-mutuelle'), fixture('claim-bundle-mutuelle-member.json'))).status).toBe(503);

    expect((await fetch(`${sandbox.url}/_control/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await post(claimUrl('demo-mutuelle'), fixture('claim-bundle-mutuelle-member.json'))).status).toBe(200);
  });

  test('a 429 fault carries Retry-After, and hangMs delays the answer', async () => {
    await addFault({ status: 429 });
    const throttled = await post<OperationOutcome>(claimUrl(), fixture('claim-bundle-covered-member.json'));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.body.issue[0]?.code).toBe('throttled');

    await addFault({ status: 504, hangMs: 200 });
    const started = performance.now();
    const slow = await post(eligibilityUrl(), fixture('eligibility-request-lapsed-member.json'));
    expect(slow.status).toBe(504);
    // Timers may fire a millisecond early; the point is that the answer was held back.
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('rejects an invalid fault rule with 400', async () => {
    const res = await addFault({ status: 200, count: 0 });
    expect(res.status).toBe(400);
    expect((await fetch(`${sandbox.url}/_control/faults`).then((r) => r.json())) as unknown).toEqual({ faults: [] });
  });

  test('eligibility: answers 422 when the Bundle does not start with a CoverageEligibilityRequest', async () => {
    const res = await post<OperationOutcome>(eligibilityUrl(), fixture('claim-bundle-covered-member.json'));
    expect(res.status).toBe(422);
    expect(res.body.issue).toContainEqual(expect.objectContaining({ code: 'required', expression: ['Bundle.entry[0].resource'] }));
  });

  test('a hostile body with odd types gets an answer, never a crash', async () => {
    const bundle = fixture('claim-bundle-covered-member.json') as { entry: { fullUrl: unknown; resource: Record<string, unknown> }[] };
    const [first, second] = bundle.entry;
    if (!first || !second) {
      throw new Error('fixture too short');
    }
    second.fullUrl = 42;
    first.resource.insurance = 'not-an-array';
    (first.resource.item as { productOrService: unknown }[])[0] = { ...(first.resource.item as object[])[0], productOrService: { coding: {} } };
    const res = await post<ClaimResponse>(claimUrl(), bundle);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('ClaimResponse');
  });

  test('eligibility: a covered member is in force for the current year', async () => {
    const res = await post<CoverageEligibilityResponse>(eligibilityUrl(), fixture('eligibility-bundle-covered-member.json'));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resourceType: 'CoverageEligibilityResponse',
      status: 'active',
      outcome: 'complete',
      purpose: ['validation'],
      request: { reference: 'CoverageEligibilityRequest/eligibility-covered-member' },
      insurer: { identifier: { value: 'demo-insurer' } },
      patient: { identifier: { value: 'M0042' } },
      insurance: [{ inforce: true, benefitPeriod: { start: '2025-01-01', end: '2025-12-31' } }],
    });
    // The request's urn:uuid reference means nothing outside it, so only the identifier is returned.
    expect(res.body.insurance?.[0]?.coverage).toEqual({ identifier: { system: 'urn:passerelle:demo-insurer:member', value: 'M0042' } });
  });

  test('eligibility: a member whose coverage ended last year is not in force', async () => {
    const res = await post<CoverageEligibilityResponse>(eligibilityUrl(), fixture('eligibility-request-lapsed-member.json'));
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('complete');
    expect(res.body.insurance?.[0]).toMatchObject({ inforce: false, benefitPeriod: { start: '2024-01-01', end: '2024-12-31' } });
  });

  test('eligibility: an unknown member is an error with code member-unknown', async () => {
    const res = await post<CoverageEligibilityResponse>(eligibilityUrl(), fixture('eligibility-request-unknown-member.json'));
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('error');
    expect(res.body.error?.[0]?.code.coding?.[0]).toMatchObject({ system: 'urn:passerelle:sandbox:adjudication-error', code: 'member-unknown' });
    expect(res.body.insurance).toBeUndefined();
  });

  test('serves metadata and a health check', async () => {
    const metadata = await fetch(`${sandbox.url}/demo-insurer/fhir/metadata`);
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
    expect((await fetch(`${sandbox.url}/unknown/fhir/metadata`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/healthz`)).status).toBe(200);
  });

  test('the control API answers 404 unless enabled', async () => {
    const closed = await startSandbox(sandboxOptions({ control: false }));
    try {
      expect((await fetch(`${closed.url}/_control/stats`)).status).toBe(404);
      expect((await fetch(`${closed.url}/_control/reset`, { method: 'POST' })).status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});

describe('pended claims', () => {
  let gateway: GatewayPeer;
  let sandbox: SandboxHandle;
  const submitPended = (key?: string): Promise<Submitted<ClaimResponse>> =>
    post<ClaimResponse>(`${sandbox.url}/demo-insurer/fhir/Claim/$submit`, fixture('claim-bundle-above-pend-threshold.json'), {
      ...(key ? { 'idempotency-key': key } : {}),
    });

  beforeEach(async () => {
    gateway = await startGatewayPeer();
    sandbox = await startSandbox(sandboxOptions({ gatewayUrl: gateway.url, pendDelayMs: 20, delivery: { baseDelayMs: 10 } }));
  });
  afterEach(async () => {
    await sandbox.close();
    await gateway.close();
  });

  test('answers queued at once, then posts the final ClaimResponse to the gateway with a bearer token', async () => {
    const queued = await submitPended('key-pended');
    expect(queued.status).toBe(200);
    expect(queued.body.outcome).toBe('queued');

    const final = await gateway.accepted;

    expect(gateway.tokenRequests).toEqual([
      {
        contentType: 'application/x-www-form-urlencoded',
        form: { grant_type: 'client_credentials', client_id: 'demo-insurer', client_secret: 'demo-insurer-secret' },
      },
    ]);
    expect(gateway.posts[0]).toMatchObject({ authorization: 'Bearer token-1', contentType: 'application/fhir+json' });
    expect(final).toMatchObject({ resourceType: 'ClaimResponse', id: queued.body.id, outcome: 'complete', request: { reference: 'Claim/claim-above-pend-threshold' } });
    expect(total(final, 'benefit')).toBe(520000);
    // The counter moves once the gateway's 201 has reached the sandbox, just after the stub resolved.
    await eventually(async () => (await sandboxStats(sandbox)).pendedAnswersPosted === 1);
  });

  test('serves each claim its latest answer by search, and keeps pended answers unposted when posting is off', async () => {
    const search = async () => (await (await fetch(`${sandbox.url}/demo-insurer/fhir/ClaimResponse?request=Claim/claim-above-pend-threshold`)).json()) as { total: number; entry: Array<{ resource: ClaimResponse }> };
    const off = await fetch(`${sandbox.url}/_control/pended-posting`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: false }) });
    expect(off.status).toBe(200);
    const queued = await submitPended('key-search');
    expect((await search()).entry[0]?.resource.outcome).toBe('queued');
    await eventually(async () => (await search()).entry[0]?.resource.outcome === 'complete');
    const found = await search();
    expect(found.total).toBe(1);
    expect(found.entry[0]!.resource).toMatchObject({ id: queued.body.id, outcome: 'complete' });
    expect(gateway.posts).toEqual([]); // decided, not posted
    expect((await sandboxStats(sandbox)).pendedAnswersPosted).toBe(0);
    const none = await (await fetch(`${sandbox.url}/demo-insurer/fhir/ClaimResponse?request=Claim/unknown`)).json() as { total: number };
    expect(none.total).toBe(0);
    expect((await fetch(`${sandbox.url}/demo-insurer/fhir/ClaimResponse`)).status).toBe(400);
  });

  test('a replayed pended submission gets the queued answer again and schedules nothing more', async () => {
    const first = await submitPended('key-pended-replay');
    const again = await submitPended('key-pended-replay');
    await gateway.accepted;

    expect(again.body).toEqual(first.body);
    expect((await sandboxStats(sandbox)).adjudicated).toEqual({ 'key-pended-replay': 1 });
  });

  test('retries a gateway failure and keeps using the cached token', async () => {
    gateway.statuses.push(503, 429);
    await submitPended();
    await gateway.accepted;

    expect(gateway.posts.map((p) => p.status)).toEqual([503, 429, 201]);
    // One key for every attempt, so the gateway can recognise a retry of an answer it already recorded.
    expect(new Set(gateway.posts.map((p) => p.idempotencyKey)).size).toBe(1);
    expect(gateway.posts[0]?.idempotencyKey).toMatch(/^sandbox-claim-response-/);
    expect(gateway.tokenRequests).toHaveLength(1);
    expect(new Set(gateway.posts.map((p) => p.authorization))).toEqual(new Set(['Bearer token-1']));
  });

  test('fetches a new token when the gateway answers 401', async () => {
    gateway.statuses.push(401);
    await submitPended();
    await gateway.accepted;

    expect(gateway.posts.map((p) => [p.status, p.authorization])).toEqual([
      [401, 'Bearer token-1'],
      [201, 'Bearer token-2'],
    ]);
  });

  test('close() cancels answers still waiting for their delay', async () => {
    const patient = await startSandbox(sandboxOptions({ gatewayUrl: gateway.url, pendDelayMs: 3_600_000 }));
    await post(`${patient.url}/demo-insurer/fhir/Claim/$submit`, fixture('claim-bundle-above-pend-threshold.json'));
    // Resolving at all is the assertion: a live timer or socket would keep close() (and Jest) waiting.
    await expect(patient.close()).resolves.toBeUndefined();
    await expect(patient.close()).resolves.toBeUndefined();
    expect(gateway.posts).toHaveLength(0);
  });
});
