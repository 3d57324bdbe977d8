/**
 * Authentication, and nothing leaks between participants: the token endpoint's OAuth2 errors, the
 * bearer check on /fhir, scopes per kind of participant, and claims and responses visible only to their
 * provider and the insurer they are addressed to (to anyone else they do not exist). Real HTTP against
 * a running gateway with the demo participants.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import { claimBundle, insurerResponses, processingStatus, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

/** Sends a request and reads its JSON answer; `token` is sent as a bearer token when given. */
async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<HttpAnswer> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('Authorization', `Bearer ${init.token}`);
  const res = await fetch(`${gw.url}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** POSTs a FHIR resource as a participant. */
async function post(path: string, resource: unknown, clientId: string): Promise<HttpAnswer> {
  return call(path, {
    method: 'POST', token: await gw.token(clientId),
    headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(resource),
  });
}

/** POSTs a token request as a form (or as given). */
async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return call('/auth/token', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString(),
  });
}

/** Asserts an OAuth2 error answer (RFC 6749 §5.2). */
function expectOAuthError(answer: HttpAnswer, status: number, error: string): void {
  expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error });
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(typeof answer.body.error_description).toBe('string');
  expect(answer.body.access_token).toBeUndefined();
  if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
}

/** An insurer's later answer to a claim, as POST /fhir/ClaimResponse takes it. */
function insurerAnswer(claimId: string | undefined, outcome: ClaimResponse['outcome'], disposition: string): ClaimResponse {
  return {
    resourceType: 'ClaimResponse',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'claim',
    patient: { identifier: { system: 'urn:passerelle:demo-insurer:member', value: 'M0001' } },
    created: new Date().toISOString(),
    insurer: { identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } },
    ...(claimId ? { request: { reference: `Claim/${claimId}` } } : {}),
    outcome,
    disposition,
  };
}

/** Submits a claim as demo-clinic to demo-insurer and waits until it is settled. */
async function settledClaim(member?: string): Promise<{ claimId: string; status: string | undefined }> {
  const answer = await gw.submit(claimBundle(undefined, member ? { member } : {}), 'demo-clinic');
  expect(answer.status).toBe(202);
  const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
  const claim = await gw.waitForStatus(claimId, ['complete', 'partial', 'error', 'failed']);
  return { claimId, status: processingStatus(claim) };
}

/** The processing status the gateway reports to the claim's provider. */
async function statusOf(claimId: string): Promise<string | undefined> {
  return processingStatus((await gw.get(`/fhir/Claim/${claimId}`, 'demo-clinic')).body as unknown as Claim);
}

async function responseRows(claimId: string): Promise<number> {
  const { rows } = await gw.passerelle.db.query<{ n: number }>(`select count(*)::int as n from claim_responses where claim_id = $1 and source = 'insurer'`, [claimId]);
  return rows[0]!.n;
}

describe('POST /auth/token', () => {
  it('issues a bearer token for client credentials sent in the form (client_secret_post)', async () => {
    const answer = await tokenRequest({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number), scope: expect.stringContaining('system/Claim.write') });
    const search = await call('/fhir/ClaimResponse?request=Claim/00000000-0000-4000-8000-000000000000', { token: answer.body.access_token as string });
    expect(search.status).toBe(200);
  });

  it('issues a bearer token for client credentials in an HTTP Basic header (client_secret_basic)', async () => {
    const basic = Buffer.from(`${encodeURIComponent('demo-insurer')}:${encodeURIComponent('demo-insurer-secret')}`).toString('base64');
    const answer = await tokenRequest({ grant_type: 'client_credentials' }, { Authorization: `Basic ${basic}` });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: expect.stringContaining('system/ClaimResponse.write') });
    const search = await call('/fhir/ClaimResponse?request=Claim/00000000-0000-4000-8000-000000000000', { token: answer.body.access_token as string });
    expect(search.status).toBe(200);
  });

  it('refuses a wrong secret with 401 invalid_client', async () => {
    const answer = await tokenRequest({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-hospital-secret' });
    expectOAuthError(answer, 401, 'invalid_client');
  });

  it('refuses an unknown client with 401 invalid_client, the same answer as a wrong secret', async () => {
    const unknown = await tokenRequest({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'nobody-secret' });
    expectOAuthError(unknown, 401, 'invalid_client');
    const wrongSecret = await tokenRequest({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'guess' });
    expect(unknown.body).toEqual(wrongSecret.body);
  });

  it('refuses the password grant with 400 unsupported_grant_type', async () => {
    const answer = await tokenRequest({ grant_type: 'password', username: 'demo-clinic', password: 'demo-clinic-secret', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret' });
    expectOAuthError(answer, 400, 'unsupported_grant_type');
  });

  it('refuses a JSON body with 400 invalid_request', async () => {
    const answer = await call('/auth/token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret' }),
    });
    expectOAuthError(answer, 400, 'invalid_request');
  });

  it('refuses a scope the client is not granted with 400 invalid_scope', async () => {
    const answer = await tokenRequest({
      grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret', scope: 'system/Claim.read system/ClaimResponse.write',
    });
    expectOAuthError(answer, 400, 'invalid_scope');
    expect(answer.body.error_description).toContain('system/ClaimResponse.write');
  });

  it('issues a token narrowed to the scopes asked, which then cannot do more', async () => {
    const answer = await tokenRequest({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret', scope: 'system/Claim.read' });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('system/Claim.read');
    const submit = await call('/fhir/Claim/$submit', {
      method: 'POST', token: answer.body.access_token as string,
      headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(claimBundle()),
    });
    expect(expectOutcome(submit, 403, 'insufficient-scope')[0]!.details!.text).toContain('system/Claim.write');
  });
});

describe('bearer tokens on /fhir', () => {
  const path = '/fhir/ClaimResponse?request=Claim/00000000-0000-4000-8000-000000000000';

  it('answers a request without a token with 401, an OperationOutcome and a Bearer challenge', async () => {
    const answer = await call(path);
    const [issue] = expectOutcome(answer, 401, 'unauthenticated');
    expect(issue!.details!.text).toContain('/auth/token');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="passerelle"');
  });

  it.each([
    ['a garbage token', async () => 'not-a-jwt'],
    ['a token signed with another key', async () => new SignJWT({ ptp: 'demo-clinic', knd: 'provider', scope: 'system/Claim.read system/Claim.write system/ClaimResponse.read' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer('urn:passerelle:gateway').setAudience('urn:passerelle:api')
      .setSubject('demo-clinic').setIssuedAt().setExpirationTime('5m').sign(randomBytes(32))],
    ['a gateway token whose payload was altered to name another participant', async () => {
      const [header, payload, signature] = (await gw.token('demo-clinic')).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
      expect(claims.ptp).toBe('demo-clinic');
      const forged = Buffer.from(JSON.stringify({ ...claims, ptp: 'demo-hospital', sub: 'demo-hospital' })).toString('base64url');
      return `${header}.${forged}.${signature}`;
    }],
  ])('answers %s with 401 and an invalid_token challenge', async (_name, makeToken) => {
    const answer = await call(path, { token: await makeToken() });
    expectOutcome(answer, 401, 'unauthenticated');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="passerelle", error="invalid_token"');
  });

  it('does not let an insurer submit a claim (403 insufficient-scope)', async () => {
    const bundle = claimBundle();
    const answer = await post('/fhir/Claim/$submit', bundle, 'demo-insurer');
    expect(expectOutcome(answer, 403, 'insufficient-scope')[0]!.details!.text).toContain('system/Claim.write');
    const identifier = (bundle.entry![0]!.resource as Claim).identifier![0]!.value;
    const { rows } = await gw.passerelle.db.query<{ n: number }>('select count(*)::int as n from claims where identifier_value = $1', [identifier]);
    expect(rows[0]!.n).toBe(0);
  });

  it('does not let a provider post a ClaimResponse (403 insufficient-scope)', async () => {
    const { claimId } = await settledClaim();
    const before = await responseRows(claimId);
    const answer = await post('/fhir/ClaimResponse', insurerAnswer(claimId, 'complete', 'Self-approved'), 'demo-clinic');
    expect(expectOutcome(answer, 403, 'insufficient-scope')[0]!.details!.text).toContain('system/ClaimResponse.write');
    expect(await responseRows(claimId)).toBe(before);
  });
});

describe('visibility between participants', () => {
  let claimId: string;
  let responseIds: string[];

  beforeAll(async () => {
    const settled = await settledClaim();
    expect(settled.status).toBe('complete');
    claimId = settled.claimId;
    const search = await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, 'demo-clinic');
    responseIds = ((search.body as unknown as Bundle).entry ?? []).map((e) => e.resource!.id!);
    expect(responseIds).toHaveLength(2); // the gateway's "queued" and the insurer's answer
  });

  it('hides the claim and its responses from another provider', async () => {
    expectOutcome(await gw.get(`/fhir/Claim/${claimId}`, 'demo-hospital'), 404, 'not-found');
    for (const id of responseIds) expectOutcome(await gw.get(`/fhir/ClaimResponse/${id}`, 'demo-hospital'), 404, 'not-found');
    const search = await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, 'demo-hospital');
    expect(search.status).toBe(200);
    expect(search.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0 });
    expect((search.body as unknown as Bundle).entry ?? []).toEqual([]);
  });

  it('hides the claim and its responses from an insurer it is not addressed to, which cannot answer it either', async () => {
    expectOutcome(await gw.get(`/fhir/Claim/${claimId}`, 'demo-mutuelle'), 404, 'not-found');
    for (const id of responseIds) expectOutcome(await gw.get(`/fhir/ClaimResponse/${id}`, 'demo-mutuelle'), 404, 'not-found');
    const search = await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, 'demo-mutuelle');
    expect(search.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0 });

    const before = await responseRows(claimId);
    const answer = await post('/fhir/ClaimResponse', insurerAnswer(claimId, 'error', 'Not ours, but refused anyway'), 'demo-mutuelle');
    expectOutcome(answer, 404, 'not-found');
    expect(await responseRows(claimId)).toBe(before);
    expect(await statusOf(claimId)).toBe('complete');
  });

  it('shows the claim and its responses to the insurer it is addressed to', async () => {
    const claim = await gw.get(`/fhir/Claim/${claimId}`, 'demo-insurer');
    expect(claim.status).toBe(200);
    expect(claim.body).toMatchObject({ resourceType: 'Claim', id: claimId });
    for (const id of responseIds) {
      const response = await gw.get(`/fhir/ClaimResponse/${id}`, 'demo-insurer');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ resourceType: 'ClaimResponse', id, request: { reference: `Claim/${claimId}` } });
    }
    const search = await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, 'demo-insurer');
    expect(((search.body as unknown as Bundle).entry ?? []).map((e) => e.resource!.id)).toEqual(responseIds);
  });

  it("answers another participant's claim exactly like a claim that does not exist", async () => {
    const masked = (answer: HttpAnswer, id: string) => ({
      status: answer.status,
      contentType: answer.headers.get('content-type'),
      headerNames: [...answer.headers.keys()].sort(),
      body: JSON.stringify(answer.body).replaceAll(id, '{id}'),
    });
    const hidden = masked(await gw.get(`/fhir/Claim/${claimId}`, 'demo-hospital'), claimId);
    const random = randomUUID();
    expect(masked(await gw.get(`/fhir/Claim/${random}`, 'demo-hospital'), random)).toEqual(hidden);
    expect(masked(await gw.get('/fhir/Claim/not-a-uuid', 'demo-hospital'), 'not-a-uuid')).toEqual(hidden);
    expect(hidden.status).toBe(404);

    const hiddenResponse = masked(await gw.get(`/fhir/ClaimResponse/${responseIds[1]}`, 'demo-mutuelle'), responseIds[1]!);
    const randomResponse = randomUUID();
    expect(masked(await gw.get(`/fhir/ClaimResponse/${randomResponse}`, 'demo-mutuelle'), randomResponse)).toEqual(hiddenResponse);
    expect(masked(await gw.get('/fhir/ClaimResponse/42', 'demo-mutuelle'), '42')).toEqual(hiddenResponse);

    const hiddenAnswer = masked(await post('/fhir/ClaimResponse', insurerAnswer(claimId, 'complete', 'Paid'), 'demo-mutuelle'), claimId);
    const randomClaim = randomUUID();
    expect(masked(await post('/fhir/ClaimResponse', insurerAnswer(randomClaim, 'complete', 'Paid'), 'demo-mutuelle'), randomClaim)).toEqual(hiddenAnswer);
    expect(hiddenAnswer.status).toBe(404);
  });
});

describe("an insurer's later answer (POST /fhir/ClaimResponse)", () => {
  it('records an answer to a claim addressed to it: 201 with a Location, and the claim status follows', async () => {
    const { claimId, status } = await settledClaim('M0950'); // coverage ended: the sandbox refuses it
    expect(status).toBe('error');
    const answer = await post('/fhir/ClaimResponse', insurerAnswer(claimId, 'complete', 'Coverage renewed; claim paid on review'), 'demo-insurer');
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const location = answer.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${gw.url}/fhir/ClaimResponse/[0-9a-f-]{36}$`));
    expect(answer.body).toMatchObject({
      resourceType: 'ClaimResponse', id: location.split('/ClaimResponse/')[1], outcome: 'complete', request: { reference: `Claim/${claimId}` },
      requestor: { identifier: { value: 'demo-clinic' } },
    });
    expect(await statusOf(claimId)).toBe('complete');
    const seen = await gw.get(`/fhir${location.split('/fhir')[1]}`, 'demo-clinic');
    expect(seen.body).toEqual(answer.body);
    const responses = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, 'demo-clinic')).body);
    expect(responses.map((r) => r.outcome)).toEqual(['error', 'complete']);
  });

  it('answers a resend of the identical answer with 200 and the stored response, storing nothing twice', async () => {
    const { claimId } = await settledClaim('M0950');
    const body = insurerAnswer(claimId, 'complete', 'Paid after appeal');
    const first = await post('/fhir/ClaimResponse', body, 'demo-insurer');
    expect(first.status).toBe(201);
    const rows = await responseRows(claimId);
    const again = await post('/fhir/ClaimResponse', body, 'demo-insurer');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await responseRows(claimId)).toBe(rows);
    const events = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [claimId]);
    expect(events.rows.filter((e) => e.status === 'complete')).toHaveLength(1);
  });

  it('refuses a ClaimResponse without request with 422 claim-response-request', async () => {
    const answer = await post('/fhir/ClaimResponse', insurerAnswer(undefined, 'complete', 'For which claim?'), 'demo-insurer');
    const [issue] = expectOutcome(answer, 422, 'claim-response-request');
    expect(issue!.expression).toEqual(['ClaimResponse.request']);
    expect(issue!.details!.text).toContain('Claim/{id}');
  });

  it('refuses a body that is not a ClaimResponse with 422 resource-type', async () => {
    const answer = await post('/fhir/ClaimResponse', claimBundle(), 'demo-insurer');
    const [issue] = expectOutcome(answer, 422, 'resource-type');
    expect(issue!.details!.text).toMatch(/Expected a ClaimResponse, got Bundle/);
  });
});
