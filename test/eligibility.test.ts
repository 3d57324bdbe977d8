/**
 * Eligibility end to end over real HTTP, PostgreSQL and Redis, against the sandbox insurer: the live
 * mode (demo-insurer: Coverage search; a test insurer asked by $submit), the synced mode (demo-mutuelle,
 * pulled from the sandbox at start and by the incremental sync), the cache, the circuit breaker, the
 * answer budget (202, then the answer by pull and push), and the claim pipeline's check.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Bundle, Claim, CoverageEligibilityResponse, OperationOutcome } from '@medplum/fhirtypes';
import { claimBundle, eventually, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { listenOnFreePort } from './http-server.js';
import { expectOutcome } from './outcome-assertions.js';
import { ParticipantRegistry } from '../gateway/participants/registry.js';
import { defaultAdapters } from '../mappings/index.js';
import { syncRegistry } from '../workers/registry-sync.js';
import { REGISTRY_SYNC_QUEUE } from '../workers/jobs.js';
import { ELIGIBILITY_ERROR_SYSTEM } from '../gateway/eligibility/eligibility-response.js';
import { VALIDATION_OUTCOME_EXTENSION } from '../gateway/claims/gateway-responses.js';
import { VALIDATION_RULE_SYSTEM } from '../gateway/validation/rules.js';

let gw: TestGateway;
let callback: { url: string; close(): Promise<void> };
let seedDir: string;
const pushes: CoverageEligibilityResponse[] = [];

beforeAll(async () => {
  const app = express();
  app.post('/callback', express.json({ type: '*/*' }), (req, res) => {
    pushes.push(req.body as CoverageEligibilityResponse);
    res.status(204).end();
  });
  callback = await listenOnFreePort(app);
  seedDir = mkdtempSync(join(tmpdir(), 'passerelle-seed-'));
  writeFileSync(join(seedDir, 'seed.json'), JSON.stringify({
    participants: [{ id: 'test-clinic', kind: 'provider', name: 'Test clinic', callbackUrl: `${callback.url}/callback`,
      callbackSecret: 'callback-secret-of-test-clinic-0123456789', clients: [{ clientId: 'test-clinic', secret: 'test-clinic-secret' }] }],
  }));
  gw = await startTestGateway({ env: { SEED_FILE: join(seedDir, 'seed.json'), CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_COOLDOWN_MS: '60000', ELIGIBILITY_ATTEMPTS: '2', ELIGIBILITY_BACKOFF_MS: '50' } });
  const insurer = (id: string, baseUrl: string, eligibility?: Record<string, unknown>) => admin('POST', '/admin/participants', {
    id, kind: 'insurer', name: id, adapter: 'fhir', adapterSettings: { baseUrl }, ...(eligibility ? { eligibility } : {}),
  });
  const sandboxIpm = `${gw.sandboxUrl}/demo-insurer/fhir`;
  const member = { memberSystem: 'urn:passerelle:demo-insurer:member', policy: 'reject' };
  for (const answer of await Promise.all([
    insurer('slow-ipm', sandboxIpm, { mode: 'live', ...member, liveMethod: 'submit', budgetMs: 150, timeoutMs: 600, cacheTtlSeconds: 0 }),
    insurer('dead-ipm', 'http://127.0.0.1:1/fhir', { mode: 'live', ...member, timeoutMs: 500 }),
    insurer('plain-ipm', sandboxIpm),
  ])) expect(answer.status).toBe(201);
}, 60_000);
afterAll(async () => {
  await gw?.stop();
  await callback?.close();
  rmSync(seedDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await gw.sandbox('/_control/reset', { method: 'POST' });
});

async function admin(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  const res = await fetch(`${gw.url}${path}`, {
    method, headers: { Authorization: `Bearer ${await gw.token('demo-operator')}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, headers: res.headers, body: await res.json() as HttpAnswer['body'] };
}

async function control(path: string, body: unknown): Promise<void> {
  const res = await gw.sandbox(`/_control/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBeLessThan(300);
}

/** A collection Bundle: the request, the Patient and the Coverage, for this insurer and member. */
function question(insurer: string, member: string | undefined, options: { purposes?: string[]; memberSystem?: string; provider?: string; items?: unknown[] } = {}): Bundle {
  const system = options.memberSystem ?? `urn:passerelle:${insurer.startsWith('demo-') ? insurer : 'demo-insurer'}:member`;
  const identifier = member ? [{ system, value: member }] : undefined;
  const party = (value: string) => ({ identifier: { system: 'urn:passerelle:participant', value } });
  return {
    resourceType: 'Bundle', type: 'collection', entry: [
      { fullUrl: 'urn:uuid:6b0e1d2c-0000-4000-8000-000000000001', resource: {
        resourceType: 'CoverageEligibilityRequest', status: 'active', purpose: (options.purposes ?? ['validation']) as never,
        patient: { reference: 'urn:uuid:6b0e1d2c-0000-4000-8000-000000000002' }, created: new Date().toISOString(), servicedDate: new Date().toISOString().slice(0, 10),
        provider: party(options.provider ?? 'demo-clinic'), insurer: party(insurer), ...(options.items ? { item: options.items as never } : {}),
        insurance: [{ focal: true, coverage: { reference: 'urn:uuid:6b0e1d2c-0000-4000-8000-000000000003' } }],
      } },
      { fullUrl: 'urn:uuid:6b0e1d2c-0000-4000-8000-000000000002', resource: {
        resourceType: 'Patient', identifier: identifier ?? [{ system: 'urn:oid:1.2.3', value: 'hospital-file-12' }], name: [{ family: 'Ndiaye', given: ['Fatou'] }], gender: 'female', birthDate: '1990-02-03',
      } },
      { fullUrl: 'urn:uuid:6b0e1d2c-0000-4000-8000-000000000003', resource: {
        resourceType: 'Coverage', status: 'active', identifier: identifier ?? [{ system: 'urn:oid:1.2.3', value: 'card-12' }],
        beneficiary: { reference: 'urn:uuid:6b0e1d2c-0000-4000-8000-000000000002' }, payor: [party(insurer)],
      } },
    ],
  };
}

async function ask(body: unknown, clientId = 'demo-clinic'): Promise<HttpAnswer> {
  const res = await fetch(`${gw.url}/fhir/CoverageEligibilityRequest/$submit`, {
    method: 'POST', headers: { Authorization: `Bearer ${await gw.token(clientId)}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() as HttpAnswer['body'] };
}

const response = (answer: HttpAnswer) => answer.body as unknown as CoverageEligibilityResponse;
const errorCode = (r: CoverageEligibilityResponse) => r.error?.[0]?.code.coding?.find((c) => c.system === ELIGIBILITY_ERROR_SYSTEM)?.code;

describe.each([
  ['live (Coverage search)', 'demo-insurer', 'M'],
  ['synced', 'demo-mutuelle', 'C'],
])('eligibility, %s', (_mode, insurer, prefix) => {
  it('answers a covered member: in force this year, with the benefits of the plan', async () => {
    const answer = await ask(question(insurer, `${prefix}0042`, { purposes: ['validation', 'benefits'] }));
    expect(answer.status).toBe(200);
    const r = response(answer);
    expect(r).toMatchObject({ resourceType: 'CoverageEligibilityResponse', outcome: 'complete', insurer: { identifier: { value: insurer } }, requestor: { identifier: { value: 'demo-clinic' } } });
    const year = new Date().getUTCFullYear();
    expect(r.insurance).toEqual([expect.objectContaining({ inforce: true, benefitPeriod: { start: `${year}-01-01`, end: `${year}-12-31` } })]);
    const copay = r.insurance![0]!.item?.find((i) => i.category?.coding?.[0]?.code === '1')?.benefit?.[0];
    expect(copay).toMatchObject({ type: { coding: [{ code: 'copay-percent' }] }, allowedUnsignedInt: insurer === 'demo-insurer' ? 20 : 50 });
    const location = answer.headers.get('location')!;
    expect((await gw.get(location.replace(gw.url, ''))).body).toMatchObject({ resourceType: 'CoverageEligibilityRequest', id: location.split('/').pop() });
  });

  it('answers a member whose coverage ended last year: not in force', async () => {
    const r = response(await ask(question(insurer, `${prefix}0950`)));
    expect(r.outcome).toBe('complete');
    expect(r.insurance?.[0]?.inforce).toBe(false);
    expect(r.disposition).toMatch(/^Not covered/);
  });

  it('answers an unknown member with the coded error member-unknown', async () => {
    const r = response(await ask(question(insurer, `${prefix}7777`)));
    expect(r.outcome).toBe('error');
    expect(errorCode(r)).toBe('member-unknown');
  });
});

describe('eligibility: a request alone, for discovery', () => {
  it('answers a CoverageEligibilityRequest sent without a Bundle, naming the member by identifier', async () => {
    const party = (value: string) => ({ identifier: { system: 'urn:passerelle:participant', value } });
    const answer = await ask({
      resourceType: 'CoverageEligibilityRequest', status: 'active', purpose: ['discovery'], created: new Date().toISOString(),
      patient: { identifier: { system: 'urn:passerelle:demo-mutuelle:member', value: 'C0123' } }, provider: party('demo-clinic'), insurer: party('demo-mutuelle'),
    });
    expect(answer.status).toBe(200);
    expect(response(answer)).toMatchObject({ outcome: 'complete', purpose: ['discovery'], patient: { identifier: { value: 'C0123' } }, insurance: [{ inforce: true }] });
  });
});

describe('eligibility: bad input', () => {
  it('refuses a patient without a member number, an unknown insurer, an insurer without eligibility, and a stranger provider', async () => {
    expectOutcome(await ask(question('demo-mutuelle', undefined)), 422, 'member-identifier-missing');
    expectOutcome(await ask(question('demo-insurer', undefined)), 422, 'validation'); // its pack requires the member number
    expectOutcome(await ask(question('no-such-insurer', 'M0001')), 422, 'insurer-unknown');
    expectOutcome(await ask(question('plain-ipm', 'M0001')), 422, 'eligibility-not-offered');
    expectOutcome(await ask(question('demo-insurer', 'M0001', { provider: 'demo-hospital' })), 422, 'provider-not-caller');
    expectOutcome(await ask(claimBundle()), 422, 'bundle-first-entry');
    expectOutcome(await ask({ resourceType: 'Patient' }), 422, 'resource-type');
  });

  it('validates the request against the profiles: every issue reported', async () => {
    const bundle = question('demo-insurer', 'M0001');
    (bundle.entry![0]!.resource as unknown as Record<string, unknown>).status = 'bogus';
    const issues = expectOutcome(await ask(bundle), 422, 'validation');
    expect(issues.some((i) => (i.expression ?? [])[0]?.includes('status'))).toBe(true);
  });

  it('answers with the validation warnings of the request, as claims do', async () => {
    const bundle = question('demo-mutuelle', 'C0042');
    (bundle.entry![1]!.resource as unknown as Record<string, unknown>).meta = { profile: ['https://example.org/StructureDefinition/unknown-patient'] };
    const r = response(await ask(bundle));
    expect(r.outcome).toBe('complete');
    expect(r.extension).toEqual([{ url: VALIDATION_OUTCOME_EXTENSION, valueReference: { reference: '#validation' } }]);
    const warnings = (r.contained?.[0] as OperationOutcome).issue!;
    expect(warnings.map((i) => [i.severity, i.details?.coding?.find((c) => c.system === VALIDATION_RULE_SYSTEM)?.code])).toEqual([['information', 'fhir-profile-unknown']]);
  });

  it('keeps answers to their participants: another provider, an insurer not asked', async () => {
    const answer = await ask(question('demo-mutuelle', 'C0042'));
    const id = response(answer).id!;
    expectOutcome(await gw.get(`/fhir/CoverageEligibilityResponse/${id}`, 'demo-hospital'), 404, 'not-found');
    expectOutcome(await gw.get(`/fhir/CoverageEligibilityResponse/${id}`, 'demo-insurer'), 404, 'not-found');
    expect((await gw.get(`/fhir/CoverageEligibilityResponse/${id}`, 'demo-mutuelle')).status).toBe(200);
    expect((await gw.get(`/fhir/CoverageEligibilityResponse?request=CoverageEligibilityRequest/${response(answer).request?.reference?.split('/')[1]}`, 'demo-hospital')).body).toMatchObject({ total: 0 });
  });
});

describe('eligibility: live mode', () => {
  it('serves a member asked again from the cache while the insurer fails', async () => {
    expect(response(await ask(question('demo-insurer', 'M0311'))).insurance?.[0]?.inforce).toBe(true);
    await control('faults', { insurer: 'demo-insurer', operation: 'Coverage', status: 500, count: 10 });
    expect(response(await ask(question('demo-insurer', 'M0311'))).insurance?.[0]?.inforce).toBe(true);
    expectOutcome(await ask(question('demo-insurer', 'M0312')), 503, 'insurer-unavailable');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(Number(/^passerelle_eligibility_cache_total\{insurer="demo-insurer",result="hit"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^passerelle_eligibility_cache_total\{insurer="demo-insurer",result="miss"\} \d+$/m);
  });

  it('opens the circuit of an insurer that does not answer, then answers at once with Retry-After', async () => {
    expectOutcome(await ask(question('dead-ipm', 'M0001')), 503, 'insurer-unavailable');
    expectOutcome(await ask(question('dead-ipm', 'M0002')), 503, 'insurer-unavailable');
    const open = await ask(question('dead-ipm', 'M0003'));
    const [issue] = expectOutcome(open, 503, 'insurer-unavailable');
    expect(issue!.diagnostics).toMatch(/circuit is open/);
    expect(Number(open.headers.get('retry-after'))).toBeGreaterThan(5);
  });

  it("passes on the insurer's own $submit answer", async () => {
    const r = response(await ask(question('slow-ipm', 'M0042')));
    expect(r).toMatchObject({ outcome: 'complete', insurer: { identifier: { value: 'slow-ipm' } }, insurance: [{ inforce: true }] });
  });

  it('answers 202 "queued" past the budget, then the final answer by pull and by push', async () => {
    await control('faults', { insurer: 'demo-insurer', operation: 'CoverageEligibilityRequest/$submit', delayMs: 400, count: 1 });
    const answer = await ask(question('slow-ipm', 'M0043', { provider: 'test-clinic' }), 'test-clinic');
    expect(answer.status).toBe(202);
    expect(response(answer).outcome).toBe('queued');
    const requestId = answer.headers.get('location')!.split('/').pop()!;
    const final = await eventually(async () => {
      const search = (await gw.get(`/fhir/CoverageEligibilityResponse?request=CoverageEligibilityRequest/${requestId}`, 'test-clinic')).body as unknown as Bundle;
      expect(search.total).toBe(2);
      return search.entry![1]!.resource as CoverageEligibilityResponse;
    });
    expect(final).toMatchObject({ outcome: 'complete', request: { reference: `CoverageEligibilityRequest/${requestId}` }, insurance: [{ inforce: true }] });
    await eventually(async () => expect(pushes.map((p) => p.id)).toContain(final.id));
    // And by polling, until acknowledged; an answer given in the request itself never waits there.
    const answered = response(await ask(question('slow-ipm', 'M0045', { provider: 'test-clinic' }), 'test-clinic'));
    const mailbox = async () => ((await gw.get('/fhir/$poll?_count=500', 'test-clinic')).body as unknown as Bundle).entry?.map((e) => `${e.resource!.resourceType}/${e.resource!.id}`) ?? [];
    const waiting = await mailbox();
    expect(waiting).toContain(`CoverageEligibilityResponse/${final.id}`);
    expect(waiting).not.toContain(`CoverageEligibilityResponse/${answered.id}`);
    const token = await gw.token('test-clinic');
    const ack = await fetch(`${gw.url}/fhir/$poll-ack`, {
      method: 'POST', headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'message', valueReference: { reference: `CoverageEligibilityResponse/${final.id}` } }] }),
    });
    expect(await ack.json()).toMatchObject({ parameter: [{ name: 'acknowledged', valueInteger: 1 }] });
    expect(await mailbox()).not.toContain(`CoverageEligibilityResponse/${final.id}`);
  });

  it('gives the provider an "error" answer when the insurer never answers, after the retries', async () => {
    await control('faults', { insurer: 'demo-insurer', operation: 'CoverageEligibilityRequest/$submit', delayMs: 5000, count: 5 });
    const answer = await ask(question('slow-ipm', 'M0044'));
    expect(answer.status).toBe(202);
    const requestId = answer.headers.get('location')!.split('/').pop()!;
    const final = await eventually(async () => {
      const search = (await gw.get(`/fhir/CoverageEligibilityResponse?request=CoverageEligibilityRequest/${requestId}`)).body as unknown as Bundle;
      expect(search.total).toBe(2);
      return search.entry![1]!.resource as CoverageEligibilityResponse;
    }, 15_000);
    expect(final.outcome).toBe('error');
    expect(errorCode(final)).toBe('insurer-unavailable');
  });
});

describe('eligibility: synced mode', () => {
  it('keeps a repeatable sync job for the synced insurer', async () => {
    const schedulers = await gw.passerelle.queues.get(REGISTRY_SYNC_QUEUE).getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain('sync-demo-mutuelle');
  });

  it('follows the insurer\'s changes by the incremental sync: new members, cancelled coverage', async () => {
    expect(errorCode(response(await ask(question('demo-mutuelle', 'C2001'))))).toBe('member-unknown');
    await control('members', { insurer: 'demo-mutuelle', member: 'C2001' });
    await control('members', { insurer: 'demo-mutuelle', member: 'C0100', status: 'cancelled' });
    const db = gw.passerelle.db;
    const run = await syncRegistry('demo-mutuelle', { db, registry: new ParticipantRegistry(db), adapters: defaultAdapters({ timeoutMs: 5000 }), logger: gw.passerelle.logger });
    expect(run.pulled).toBe(2); // only what changed since the first sync
    expect(response(await ask(question('demo-mutuelle', 'C2001'))).insurance?.[0]?.inforce).toBe(true);
    expect(response(await ask(question('demo-mutuelle', 'C0100'))).insurance?.[0]?.inforce).toBe(false);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^passerelle_registry_sync_failing\{insurer="demo-mutuelle"\} 0$/m);
    expect(Number(/^passerelle_registry_sync_last_run_seconds\{insurer="demo-mutuelle"\} (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});

describe('claim pipeline: eligibility before queueing', () => {
  it('refuses (policy reject) a claim for a member not covered on its dates, or unknown, with a coded issue on the insurance', async () => {
    const lapsed = expectOutcome(await gw.submit(claimBundle(undefined, { insurer: 'demo-mutuelle', member: 'C0950' })), 422, 'coverage-not-in-force');
    expect(lapsed[0]!.expression).toEqual(['Bundle.entry[0].resource.insurance[0]']);
    expectOutcome(await gw.submit(claimBundle(undefined, { insurer: 'demo-mutuelle', member: 'C7777' })), 422, 'member-unknown');
    expect((await gw.submit(claimBundle(undefined, { insurer: 'demo-mutuelle', member: 'C0042' }))).status).toBe(202);
  });

  it('forwards (policy warn) with the warning in the queued answer', async () => {
    const answer = await gw.submit(claimBundle(undefined, { member: 'M0950' }));
    expect(answer.status).toBe(202);
    const outcome = (answer.body as { contained?: OperationOutcome[] }).contained?.[0];
    expect(outcome?.issue?.map((i) => [i.severity, i.details?.coding?.[0]?.code])).toContainEqual(['warning', 'coverage-not-in-force']);
  });

  it('forwards a claim unchecked, with a warning, when the live registry does not answer', async () => {
    await control('faults', { insurer: 'demo-insurer', operation: 'Coverage', status: 503, count: 10 });
    const answer = await gw.submit(claimBundle(undefined, { member: 'M0222' }));
    expect(answer.status).toBe(202);
    const codes = ((answer.body as { contained?: OperationOutcome[] }).contained?.[0]?.issue ?? []).map((i) => i.details?.coding?.[0]?.code);
    expect(codes).toContain('eligibility-unverified');
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    expect(((await gw.waitForStatus(claimId, ['complete', 'partial', 'error'])) as Claim).id).toBe(claimId);
  });
});

describe('operators: registries', () => {
  it('shows each registry and runs a sync on request; others are refused', async () => {
    const registries = await admin('GET', '/admin/registries');
    expect(registries.status).toBe(200);
    const mutuelle = (registries.body.registries as Array<Record<string, unknown>>).find((r) => r.insurer === 'demo-mutuelle')!;
    expect(mutuelle).toMatchObject({ mode: 'synced', policy: 'reject', sync: { intervalMinutes: 15, lastError: null } });
    expect((mutuelle.coverages as { active: number }).active).toBeGreaterThanOrEqual(1000);
    expect((await admin('GET', '/admin/registries/demo-insurer')).body).toMatchObject({ mode: 'live', policy: 'warn' });
    expect((await admin('GET', '/admin/registries/dead-ipm')).body).toMatchObject({ mode: 'live', circuit: 'open' }); // opened above
    const before = (mutuelle.sync as { lastRunAt: string }).lastRunAt;
    expect((await admin('POST', '/admin/registries/demo-mutuelle/$sync')).status).toBe(202);
    await eventually(async () => expect(((await admin('GET', '/admin/registries/demo-mutuelle')).body.sync as { lastRunAt: string }).lastRunAt > before).toBe(true));
    expectOutcome(await admin('POST', '/admin/registries/demo-insurer/$sync'), 422, 'participant-invalid');
    expectOutcome(await admin('GET', '/admin/registries/demo-clinic'), 404, 'not-found');
    expectOutcome(await gw.get('/admin/registries', 'demo-clinic'), 403, 'insufficient-scope');
  });
});

describe('eligibility: nothing accepted is lost', () => {
  it('answers a queued request whose check job Redis lost, once the sweeper adds it again', async () => {
    // An insurer of its own: the circuits of the others were opened above.
    const created = await admin('POST', '/admin/participants', {
      id: 'sweep-ipm', kind: 'insurer', name: 'sweep-ipm', adapter: 'fhir', adapterSettings: { baseUrl: `${gw.sandboxUrl}/demo-insurer/fhir` },
      eligibility: { mode: 'live', memberSystem: 'urn:passerelle:demo-insurer:member', liveMethod: 'submit', cacheTtlSeconds: 0 },
    });
    expect(created.status).toBe(201);
    const answer = await ask(question('sweep-ipm', 'M0555'));
    expect(answer.status).toBe(200);
    const requestId = answer.headers.get('location')!.split('/').pop()!;
    // As if the request had been queued past the budget and Redis had then lost its check job.
    await gw.passerelle.db.query(`update eligibility_requests set status = 'queued', response = null, response_id = null, answered_at = null where id = $1`, [requestId]);
    const { sweepDeliverable } = await import('../workers/delivery-sweeper.js');
    expect(await sweepDeliverable({ db: gw.passerelle.db, queues: gw.passerelle.queues, logger: gw.passerelle.logger, afterMs: 0 })).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      const search = (await gw.get(`/fhir/CoverageEligibilityResponse?request=CoverageEligibilityRequest/${requestId}`)).body as unknown as Bundle;
      expect(search.entry?.map((e) => (e.resource as CoverageEligibilityResponse).outcome)).toEqual(['complete']);
    });
  });
});
