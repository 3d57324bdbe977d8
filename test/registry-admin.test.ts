/**
 * Registry administration by operators: participants created, updated, suspended and reactivated,
 * clients registered with keys and disabled; mass assignment refused; a suspended participant can do
 * nothing; only operators may do any of it, and it is audited.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { claimBundle, eventually, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
let clinicKey: CryptoKey;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function admin(method: string, path: string, body?: unknown, clientId = 'demo-operator'): Promise<HttpAnswer> {
  const res = await fetch(`${gw.url}${path}`, {
    method, headers: { Authorization: `Bearer ${await gw.token(clientId)}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

async function tokenFor(clientId: string): Promise<{ status: number; token?: string }> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ iss: clientId, sub: clientId, aud: `${gw.url}/auth/token`, exp: now + 120, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES384', kid: 'new-clinic-1' }).sign(clinicKey);
  const res = await fetch(`${gw.url}/auth/token`, { method: 'POST', body: new URLSearchParams({
    grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
  }) });
  return { status: res.status, token: ((await res.json()) as { access_token?: string }).access_token };
}

async function submitAs(token: string, insurer = 'demo-insurer'): Promise<number> {
  const res = await fetch(`${gw.url}/fhir/Claim/$submit`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(claimBundle(undefined, { provider: 'new-clinic', insurer })),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('registry administration', () => {
  it('is for operators only', async () => {
    expectOutcome(await admin('GET', '/admin/participants', undefined, 'demo-clinic'), 403, 'insufficient-scope');
    expectOutcome(await admin('POST', '/admin/participants', { id: 'x', kind: 'provider', name: 'X' }, 'demo-insurer'), 403, 'insufficient-scope');
  });

  it('refuses server-owned and unknown fields (no mass assignment), listing each', async () => {
    const answer = await admin('POST', '/admin/participants', {
      id: 'new-clinic', kind: 'provider', name: 'Nouvelle clinique', status: 'active', organization: { resourceType: 'Organization' }, createdAt: '2020-01-01',
    });
    const [problem] = expectOutcome(answer, 422, 'participant-invalid');
    expect(problem!.details?.text).toMatch(/status, organization, createdAt: not accepted here/);
    expect((await admin('GET', '/admin/participants/new-clinic')).status).toBe(404); // nothing written
  });

  it('onboards a clinic with its public key; the clinic then submits claims', async () => {
    const created = await admin('POST', '/admin/participants', { id: 'new-clinic', kind: 'provider', name: 'Nouvelle clinique' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${gw.url}/admin/participants/new-clinic`);
    expect(created.body).toMatchObject({ id: 'new-clinic', status: 'active', organization: { resourceType: 'Organization', active: true, identifier: [{ value: 'new-clinic' }] } });
    expectOutcome(await admin('POST', '/admin/participants', { id: 'new-clinic', kind: 'provider', name: 'Again' }), 409, 'participant-exists');
    const pair = await generateKeyPair('ES384');
    clinicKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'new-clinic-1' };
    expectOutcome(await admin('POST', '/admin/participants/new-clinic/clients', { clientId: 'new-clinic', jwks: { keys: [{ ...jwk, d: 'private' }] } }), 422, 'participant-invalid');
    const registered = await admin('POST', '/admin/participants/new-clinic/clients', { clientId: 'new-clinic', jwks: { keys: [jwk] } });
    expect(registered.status).toBe(201);
    expect(registered.body.clients).toEqual([expect.objectContaining({ clientId: 'new-clinic', keys: ['new-clinic-1'], hasSecret: false, active: true })]);
    const { token } = await tokenFor('new-clinic');
    expect(await submitAs(token!)).toBe(202);
  });

  it('stops a suspended participant at once, and lets it back when reactivated', async () => {
    const { token } = await tokenFor('new-clinic');
    const suspended = await admin('POST', '/admin/participants/new-clinic/$suspend');
    expect(suspended.body).toMatchObject({ status: 'suspended', organization: { active: false } });
    expect(await submitAs(token!)).toBe(401);
    expect((await tokenFor('new-clinic')).status).toBe(401);
    expect((await admin('POST', '/admin/participants/new-clinic/$reactivate')).body).toMatchObject({ status: 'active' });
    expect(await submitAs((await tokenFor('new-clinic')).token!)).toBe(202);
    await eventually(async () => {
      const events = ((await gw.get('/fhir/AuditEvent?entity=Organization/new-clinic&agent=demo-operator', 'demo-operator')).body as unknown as Bundle).entry ?? [];
      expect(events.map((e) => (e.resource as AuditEvent).outcomeDesc)).toEqual(expect.arrayContaining([expect.stringMatching(/\$suspend answered 200/), expect.stringMatching(/\$reactivate answered 200/)]));
    });
  });

  it('disables a client', async () => {
    expect(((await admin('DELETE', '/admin/participants/new-clinic/clients/new-clinic')).body.clients as unknown[])[0]).toMatchObject({ active: false });
    expect((await tokenFor('new-clinic')).status).toBe(401);
    expectOutcome(await admin('DELETE', '/admin/participants/new-clinic/clients/nobody'), 404, 'not-found');
  });

  it('sets an insurer adapter, delivery limits and profile pack; kind and id cannot change', async () => {
    expectOutcome(await admin('POST', '/admin/participants', { id: 'new-ipm', kind: 'insurer', name: 'IPM nouvelle', adapter: 'fhir', adapterSettings: { baseUrl: 'ftp://x' } }), 422, 'participant-invalid');
    expect((await admin('POST', '/admin/participants', { id: 'new-ipm', kind: 'insurer', name: 'IPM nouvelle', adapter: 'fhir', adapterSettings: { baseUrl: 'https://ipm.example/fhir' } })).status).toBe(201);
    const updated = await admin('PUT', '/admin/participants/new-ipm', {
      name: 'IPM nouvelle', adapter: 'fhir', adapterSettings: { baseUrl: 'https://ipm.example/r4' },
      delivery: { concurrency: 5, maxPerSecond: 2, answerDeadlineMinutes: 600 }, profilePacks: [{ pack: 'demo-ipm', version: '1.0.0' }, { pack: 'demo-ipm', version: '2.0.0', from: '2027-01-01' }],
    });
    expect(updated.body).toMatchObject({ adapterSettings: { baseUrl: 'https://ipm.example/r4' }, delivery: { concurrency: 5 }, profilePacks: [{ pack: 'demo-ipm', version: '1.0.0' }, { pack: 'demo-ipm', version: '2.0.0', from: '2027-01-01' }], endpoints: [{ address: 'https://ipm.example/r4' }] });
    const [unknownPack] = expectOutcome(await admin('PUT', '/admin/participants/new-ipm', {
      name: 'IPM nouvelle', adapter: 'fhir', adapterSettings: { baseUrl: 'https://ipm.example/r4' }, profilePacks: [{ pack: 'demo-ipm', version: '9.9.9' }],
    }), 422, 'participant-invalid');
    expect(unknownPack!.details?.text).toMatch(/No published pack demo-ipm@9\.9\.9 \(published: .*demo-ipm@1\.0\.0/);
    const [problem] = expectOutcome(await admin('PUT', '/admin/participants/new-ipm', { name: 'x', adapter: 'fhir', adapterSettings: { baseUrl: 'https://a.example' }, kind: 'provider', id: 'other' }), 422, 'participant-invalid');
    expect(problem!.details?.text).toMatch(/kind, id: not accepted here/);
  });

  it('refuses claims addressed to a suspended insurer', async () => {
    await admin('POST', '/admin/participants/demo-mutuelle/$suspend');
    expectOutcome(await gw.submit(claimBundle(undefined, { insurer: 'demo-mutuelle' })), 422, 'insurer-unknown');
    await admin('POST', '/admin/participants/demo-mutuelle/$reactivate');
    expect((await gw.submit(claimBundle(undefined, { insurer: 'demo-mutuelle' }))).status).toBe(202);
  });
});
