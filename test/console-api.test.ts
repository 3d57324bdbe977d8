/**
 * The operator console's HTTP surface: login and its refusals, the session cookie's attributes, the
 * CSRF rule for cookie requests that change state, the PHI scope on claim details (enforced by the API),
 * the transaction log's filters and paging, insurer health, the queue dashboard behind the login, logout,
 * and the audit of logins.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { TokenService } from '../gateway/auth/tokens.js';
import { ConsoleSessions } from '../gateway/console/session.js';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
let seedDir: string;
beforeAll(async () => {
  // A seed file's operator client without scopes: it must not get the patient-data scope either.
  seedDir = mkdtempSync(join(tmpdir(), 'passerelle-seed-'));
  writeFileSync(join(seedDir, 'seed.json'), JSON.stringify({
    participants: [{ id: 'ops-seeded', kind: 'operator', name: 'Seeded operators', clients: [{ clientId: 'ops-seeded', secret: 'ops-seeded-secret' }] }],
  }));
  gw = await startTestGateway({ env: { DELIVERY_ATTEMPTS: '2', TOKEN_RATE_LIMIT_PER_MINUTE: '40', SEED_FILE: join(seedDir, 'seed.json') } });
  // Two more operator clients: one without and one with the patient-data scope.
  const operator = await gw.token('demo-operator');
  for (const [clientId, scopes] of [['ops-no-phi', ['admin']], ['ops-phi', ['admin', 'admin:phi']], ['ops-default', undefined]] as const) {
    const res = await fetch(`${gw.url}/admin/participants/demo-operator/clients`, {
      method: 'POST', headers: { Authorization: `Bearer ${operator}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientId, secret: `${clientId}-secret`, ...(scopes ? { scopes } : {}) }),
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await gw?.stop();
  rmSync(seedDir, { recursive: true, force: true });
});

const CSRF = { 'X-Passerelle-CSRF': '1' };

function login(clientId: string, secret = `${clientId}-secret`, headers: Record<string, string> = CSRF) {
  return fetch(`${gw.url}/console/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ clientId, secret }) });
}

/** Logs in and returns the Cookie header to send. */
async function session(clientId = 'demo-operator', secret?: string): Promise<string> {
  const res = await login(clientId, secret);
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

function withCookie(cookie: string, path: string, init: RequestInit = {}) {
  return fetch(`${gw.url}${path}`, { ...init, headers: { Cookie: cookie, ...init.headers } });
}

async function deadLetter(insurer = 'demo-insurer'): Promise<string> {
  await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer, status: 500, count: 2 }) });
  const answer = await gw.submit(claimBundle(undefined, { insurer }));
  const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
  await gw.waitForStatus(claimId, ['failed']);
  return claimId;
}

describe('console login', () => {
  it('sets a short-lived HttpOnly, SameSite=Strict session cookie for an operator client', async () => {
    const res = await login('demo-operator', 'demo-operator-secret');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ authenticated: true, clientId: 'demo-operator', participant: 'demo-operator' });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^passerelle-console=[\w.-]+; Path=\/; Max-Age=1800; HttpOnly; SameSite=Strict$/); // no Secure on http
    const who = await withCookie(cookie.split(';')[0]!, '/console/session');
    expect(await who.json()).toMatchObject({ authenticated: true, clientId: 'demo-operator' });
    expect(await (await fetch(`${gw.url}/console/session`)).json()).toEqual({ authenticated: false, clientSecretsEnabled: true });
  });

  it('refuses a wrong secret, a provider, an insurer, and a login without the CSRF header', async () => {
    for (const [clientId, secret] of [['demo-operator', 'wrong'], ['demo-clinic', 'demo-clinic-secret'], ['demo-insurer', 'demo-insurer-secret'], ['nobody', 'x']]) {
      const res = await login(clientId!, secret);
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(JSON.stringify(await res.json())).toContain('not an active operator client with the admin scope');
    }
    expect((await login('demo-operator', 'demo-operator-secret', {})).status).toBe(403);
    const form = await fetch(`${gw.url}/console/session`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...CSRF }, body: 'clientId=demo-operator&secret=demo-operator-secret' });
    expect(form.status).toBe(415);
  });

  it('records logins, refused ones included, in the audit trail', async () => {
    await login('demo-operator', 'wrong');
    await session('demo-operator', 'demo-operator-secret');
    await eventually(async () => {
      const { rows } = await gw.passerelle.db.query<{ outcome: string; agent: string | null }>(
        `select outcome, agent from audit_events where kind = 'authentication' and resource::jsonb ->> 'outcomeDesc' like 'POST /console/session%'`);
      expect(rows).toEqual(expect.arrayContaining([{ outcome: '0', agent: 'demo-operator' }, expect.objectContaining({ outcome: '4' })]));
    });
  });
});

describe('cookie requests', () => {
  it('reads the operator API with the cookie, never the FHIR API', async () => {
    const cookie = await session('demo-operator', 'demo-operator-secret');
    expect((await withCookie(cookie, '/admin/dead-letters')).status).toBe(200);
    expect((await withCookie(cookie, '/fhir/AuditEvent')).status).toBe(401);
    expect((await fetch(`${gw.url}/admin/dead-letters`)).status).toBe(401);
    const forged = await withCookie('passerelle-console=forged.token.value', '/admin/dead-letters');
    expect(forged.status).toBe(401);
    expect(forged.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('cannot replay without the CSRF header; can with it', async () => {
    const claimId = await deadLetter();
    const cookie = await session('demo-operator', 'demo-operator-secret');
    const refused = await withCookie(cookie, `/admin/claims/${claimId}/replay`, { method: 'POST' });
    expect(refused.status).toBe(403);
    const outcome = await refused.json() as { issue: Array<{ details: { coding: Array<{ code: string }> } }> };
    expect(outcome.issue[0]!.details.coding[0]!.code).toBe('csrf-header-missing');
    expect(JSON.stringify(outcome)).toContain('X-Passerelle-CSRF');
    expect((await gw.get(`/admin/claims/${claimId}`, 'demo-operator')).body.status).toBe('failed');
    const replayed = await withCookie(cookie, `/admin/claims/${claimId}/replay`, { method: 'POST', headers: CSRF });
    expect(replayed.status).toBe(200);
    await gw.waitForStatus(claimId, ['complete', 'partial', 'error', 'pended']);
  });

  it('logs out (with the CSRF header only)', async () => {
    const cookie = await session('demo-operator', 'demo-operator-secret');
    expect((await withCookie(cookie, '/console/session', { method: 'DELETE' })).status).toBe(403);
    const out = await withCookie(cookie, '/console/session', { method: 'DELETE', headers: CSRF });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^passerelle-console=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
  });

  it('ends the session on the server at logout: a copy of its cookie, or of a renewed one, no longer works', async () => {
    const cookie = await session('demo-operator', 'demo-operator-secret');
    const other = await session('demo-operator', 'demo-operator-secret'); // another browser of the same operator
    // A renewal of the same session (a session's token is renewed on use once a minute old): an ended
    // session is refused whichever of its tokens is shown. The renewal is signed here, with the gateway's key.
    const sessions = new ConsoleSessions((ttl) => TokenService.open(gw.passerelle.db, ttl), gw.passerelle.db, false);
    const verified = (await sessions.verify(cookie.split('=')[1]!))!;
    expect(verified).toBeDefined();
    let renewedToken = '';
    await sessions.start({ append: (_: string, value: string) => { renewedToken = value.split(';')[0]!.split('=')[1]!; } } as unknown as Response, verified.caller, verified.id);
    const renewed = `${cookie.split('=')[0]}=${renewedToken}`;
    expect((await withCookie(renewed, '/admin/dead-letters')).status).toBe(200);

    expect((await withCookie(cookie, '/console/session', { method: 'DELETE', headers: CSRF })).status).toBe(204);
    for (const copy of [cookie, renewed]) {
      const refused = await withCookie(copy, '/admin/dead-letters');
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { issue: Array<{ details: { coding: Array<{ code: string }> } }> }).issue[0]!.details.coding[0]!.code).toBe('unauthenticated');
      expect(await (await withCookie(copy, '/console/session')).json()).toMatchObject({ authenticated: false });
    }
    expect((await withCookie(other, '/admin/dead-letters')).status).toBe(200); // the other session goes on
    await eventually(async () => {
      const { rows } = await gw.passerelle.db.query<{ subtype: string; agent: string | null }>(
        `select resource::jsonb -> 'subtype' -> 0 ->> 'display' as subtype, agent from audit_events where kind = 'authentication' and resource::jsonb ->> 'outcomeDesc' like 'DELETE /console/session%'`);
      expect(rows).toEqual(expect.arrayContaining([{ subtype: 'Logout', agent: 'demo-operator' }]));
    });
  });
});

describe('patient data', () => {
  it('shows the bundles only to operators holding admin:phi, on the API itself', async () => {
    const answer = await gw.submit(claimBundle());
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await gw.waitForStatus(claimId, ['complete', 'partial', 'error', 'pended']);
    const hidden = await gw.get(`/admin/claims/${claimId}`, 'ops-no-phi');
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ phi: false, claim: null, bundle: null });
    expect((hidden.body.events as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect((hidden.body.responses as Array<{ resource: unknown }>).every((r) => r.resource === null)).toBe(true);
    expect(JSON.stringify(hidden.body)).not.toMatch(/Patient|birthDate/);

    const shown = await withCookie(await session('ops-phi'), `/admin/claims/${claimId}`);
    const body = (await shown.json()) as { phi: boolean; bundle: { resourceType: string }; responses: Array<{ resource: { resourceType: string } | null }> };
    expect(body.phi).toBe(true);
    expect(body.bundle.resourceType).toBe('Bundle');
    expect(body.responses.every((r) => r.resource?.resourceType === 'ClaimResponse')).toBe(true);
  });

  it('never grants admin:phi by default to a new operator client', async () => {
    const participant = await gw.get('/admin/participants/demo-operator', 'demo-operator');
    const clients = participant.body.clients as Array<{ clientId: string; scopes: string[] }>;
    expect(clients.find((c) => c.clientId === 'ops-default')!.scopes).toEqual(['admin', 'system/AuditEvent.read']);
    expect(clients.find((c) => c.clientId === 'ops-phi')!.scopes).toEqual(['admin', 'admin:phi']);
    const seeded = await gw.get('/admin/participants/ops-seeded', 'demo-operator');
    expect((seeded.body.clients as Array<{ scopes: string[] }>)[0]!.scopes).toEqual(['admin', 'system/AuditEvent.read']);
  });
});

describe('transaction log and insurer health', () => {
  it('lists claims and eligibility requests newest first, with filters and paging', async () => {
    const mine = `log-${Date.now()}`;
    const first = await gw.submit(claimBundle(undefined, { identifier: `${mine}-1` }));
    const second = await gw.submit(claimBundle(undefined, { identifier: `${mine}-2`, insurer: 'demo-mutuelle' }));
    expect([first.status, second.status]).toEqual([202, 202]);
    const all = await gw.get('/admin/transactions?_count=500', 'demo-operator');
    const ids = (all.body.transactions as Array<{ identifier: string; createdAt: string }>);
    expect(ids.map((x) => x.createdAt)).toEqual([...ids.map((x) => x.createdAt)].sort().reverse());

    const byInsurer = await gw.get(`/admin/transactions?insurer=demo-mutuelle&kind=claim&identifier=${mine}-2`, 'demo-operator');
    expect(byInsurer.body).toMatchObject({ total: 1, transactions: [{ kind: 'claim', identifier: `${mine}-2`, insurer: 'demo-mutuelle', provider: 'demo-clinic' }] });
    expect((await gw.get(`/admin/transactions?insurer=demo-insurer&identifier=${mine}-2`, 'demo-operator')).body.total).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect((await gw.get(`/admin/transactions?since=${today}&until=${today}&identifier=${mine}-1`, 'demo-operator')).body.total).toBe(1);
    expect((await gw.get(`/admin/transactions?until=2000-01-01`, 'demo-operator')).body.total).toBe(0);

    const page = await gw.get('/admin/transactions?_count=1&_offset=1', 'demo-operator');
    expect(page.body).toMatchObject({ limit: 1, offset: 1 });
    expect(page.body.transactions).toHaveLength(1);
    expect((page.body.transactions as unknown[])[0]).toEqual((all.body.transactions as unknown[])[1]);

    expect((await gw.get('/admin/transactions?since=yesterday', 'demo-operator')).status).toBe(400);
    expect((await gw.get('/admin/transactions?kind=invoice', 'demo-operator')).status).toBe(400);
    expect((await gw.get('/admin/transactions', 'demo-clinic')).status).toBe(403);
  });

  it('includes eligibility requests, found by their identifier', async () => {
    const identifier = `elig-${Date.now()}`;
    const today = new Date().toISOString().slice(0, 10);
    const bundle = JSON.parse(readFileSync(new URL('./fixtures/eligibility-request-covered-member.json', import.meta.url), 'utf8').replaceAll('TODAY', today)) as {
      entry: Array<{ resource: Record<string, unknown> }>;
    };
    bundle.entry[0]!.resource.identifier = [{ system: 'urn:test:eligibility', value: identifier }];
    const asked = await fetch(`${gw.url}/fhir/CoverageEligibilityRequest/$submit`, {
      method: 'POST', headers: { Authorization: `Bearer ${await gw.token('demo-clinic')}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(bundle),
    });
    expect(asked.status).toBe(200);
    const res = await gw.get(`/admin/transactions?kind=eligibility&identifier=${identifier}`, 'demo-operator');
    expect(res.body).toMatchObject({ total: 1, transactions: [{ kind: 'eligibility', identifier, provider: 'demo-clinic', insurer: 'demo-insurer', status: 'complete', attempts: null }] });

    // Its detail: the facts for every operator, the request and answers (patient data) only with admin:phi.
    const id = (res.body.transactions as Array<{ id: string }>)[0]!.id;
    const hidden = await gw.get(`/admin/eligibility-requests/${id}`, 'ops-no-phi');
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({
      id, kind: 'eligibility', provider: 'demo-clinic', insurer: 'demo-insurer', mode: 'live', status: 'complete', identifier,
      answeredAt: expect.any(String), answerMs: null, phi: false, request: null,
      responses: [{ outcome: 'complete', errors: [], resource: null }],
    });
    expect(JSON.stringify(hidden.body)).not.toMatch(/Patient|birthDate|member/i);
    const shown = await withCookie(await session('ops-phi'), `/admin/eligibility-requests/${id}`);
    const body = (await shown.json()) as { phi: boolean; request: { resourceType: string }; responses: Array<{ resource: { resourceType: string } | null }> };
    expect(body.phi).toBe(true);
    expect(body.request.resourceType).toBe('Bundle');
    expect(body.responses.map((r) => r.resource?.resourceType)).toEqual(['CoverageEligibilityResponse']);

    expect((await gw.get(`/admin/eligibility-requests/${randomUUID()}`, 'demo-operator')).status).toBe(404);
    expect((await gw.get(`/admin/eligibility-requests/${id}`, 'demo-clinic')).status).toBe(403);
  });

  it("reports each insurer's queue depth, latency, error rate and circuit", async () => {
    await deadLetter('demo-mutuelle');
    const health = await gw.get('/admin/insurer-health', 'demo-operator');
    expect(health.status).toBe(200);
    const insurers = health.body.insurers as Array<Record<string, unknown>>;
    const mutuelle = insurers.find((i) => i.insurer === 'demo-mutuelle')!;
    expect(mutuelle).toMatchObject({
      queue: { waiting: expect.any(Number), active: expect.any(Number), failed: expect.any(Number), delayed: expect.any(Number) },
      circuit: 'closed', deadLetters: expect.any(Number),
    });
    expect(mutuelle.deadLetters).toBeGreaterThanOrEqual(1);
    expect(mutuelle.errorRate).toBeGreaterThan(0);
    const insurer = insurers.find((i) => i.insurer === 'demo-insurer')!;
    expect((insurer.answerSeconds as { p50: number }).p50).toBeGreaterThanOrEqual(0);
  });
});

describe('queue dashboard', () => {
  it('is served behind the operator login only', async () => {
    expect((await fetch(`${gw.url}/admin/queues/`)).status).toBe(401);
    const provider = await fetch(`${gw.url}/admin/queues/`, { headers: { Authorization: `Bearer ${await gw.token('demo-clinic')}` } });
    expect(provider.status).toBe(403);
    const page = await withCookie(await session('demo-operator', 'demo-operator-secret'), '/admin/queues/');
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
  });
});

describe('console pages', () => {
  it('are served with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${gw.url}/console/`);
    expect([200, 503]).toContain(res.status);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|https?:/);
  });
});

describe('login rate limit', () => {
  it('slows down guessing from one address', async () => {
    let status = 0;
    for (let i = 0; i < 45 && status !== 429; i++) status = (await login('demo-operator', `guess-${i}`)).status;
    expect(status).toBe(429);
  });
});
