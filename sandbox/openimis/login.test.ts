// The openIMIS face's login and bearer tokens, over HTTP on a running sandbox with a movable clock.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { pino } from 'pino';
import { defaultSeedFile, loadSeedFile } from '../seed.js';
import { startSandbox, type SandboxHandle } from '../server.js';
import type { SandboxStatsSnapshot } from '../stats.js';

const START = new Date('2025-06-15T10:00:00Z');
const CREDENTIALS = { username: 'passerelle', password: 'demo-openimis-password' };

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

describe('openIMIS face: login and tokens', () => {
  let sandbox: SandboxHandle;
  let now = START;
  const api = (insurer = 'demo-openimis'): string => `${sandbox.url}/${insurer}/api/api_fhir_r4`;

  async function call(path: string, init: RequestInit = {}, insurer?: string): Promise<Answer> {
    const res = await fetch(`${api(insurer)}${path}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  function login(body: unknown, insurer?: string): Promise<Answer> {
    return call('/login/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, insurer);
  }

  async function token(insurer?: string): Promise<string> {
    const res = await login(CREDENTIALS, insurer);
    expect(res.status).toBe(200);
    return res.body.token as string;
  }

  function search(bearer: string | undefined, insurer?: string): Promise<Answer> {
    return call('/Claim/?identifier=NONE', bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {}, insurer);
  }

  async function stats(): Promise<SandboxStatsSnapshot> {
    return (await (await fetch(`${sandbox.url}/_control/stats`)).json()) as SandboxStatsSnapshot;
  }

  beforeAll(async () => {
    const other = {
      id: 'other-openimis',
      name: 'Autre régime',
      memberSystem: 'urn:test:other:chfid',
      members: [{ prefix: '', digits: 9, from: 1, to: 10, coverage: { startYearOffset: 0, endYearOffset: 0 } }],
      payerSharePercent: 80,
      excludedServiceCodes: [],
      pendThreshold: 500000,
      currency: 'XOF' as const,
      gatewayClient: { clientId: 'other', clientSecret: 'other-secret' },
      openimis: CREDENTIALS,
    };
    const { insurers } = loadSeedFile(defaultSeedFile());
    sandbox = await startSandbox({ port: 0, now: () => now, control: true, logger: pino({ level: 'silent' }), seed: { insurers: [...insurers, other] } });
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    now = START;
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
  });

  test('login answers an HS256 JWT for the seed user, expiring tokenTtlSeconds later by the sandbox clock', async () => {
    const res = await login(CREDENTIALS);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const jwt = res.body.token as string;
    const expSeconds = START.getTime() / 1000 + 300;
    expect(res.body.exp).toBe(expSeconds);
    expect(decodeProtectedHeader(jwt).alg).toBe('HS256');
    expect(decodeJwt(jwt)).toMatchObject({ sub: 'passerelle', iat: START.getTime() / 1000, exp: expSeconds });
    expect((await search(jwt)).status).toBe(200);
  });

  test('the trailing slash of login is optional', async () => {
    const res = await call('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CREDENTIALS) });
    expect(res.status).toBe(200);
  });

  test.each([
    ['a wrong password', { username: 'passerelle', password: 'nope' }],
    ['an unknown user', { username: 'admin', password: 'demo-openimis-password' }],
    ['no password', { username: 'passerelle' }],
    ['an empty body', {}],
  ])('login with %s is refused with DRF\'s 401', async (_name, body) => {
    const res = await login(body);

    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ detail: 'Unable to log in with provided credentials.' });
  });

  test('a request without a bearer token is refused: credentials were not provided', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Basic cGFzc2VyZWxsZTp4' }, { authorization: 'Bearer' }];
    for (const headers of attempts) {
      const res = await call('/ClaimResponse/00000000-0000-0000-0000-000000000000/', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    }
  });

  test('a token expires by the sandbox clock: valid one second before exp, "Signature has expired." at exp', async () => {
    const jwt = await token();

    now = new Date(START.getTime() + 299_000);
    expect((await search(jwt)).status).toBe(200);
    now = new Date(START.getTime() + 300_000);
    const expired = await search(jwt);
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ detail: 'Signature has expired.' });
  });

  test('a forged, garbled or foreign token is refused with "Error decoding signature."', async () => {
    const jwt = await token();
    const [header, payload] = jwt.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    const foreign = await token('other-openimis');

    for (const bad of [forged, 'not-a-jwt', foreign]) {
      const res = await search(bad);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Error decoding signature.' });
    }
    expect((await search(foreign, 'other-openimis')).status).toBe(200);
  });

  test('revoke-tokens refuses every token issued so far; a new login works, and logins are counted', async () => {
    const first = await token();
    const other = await token('other-openimis');

    expect((await fetch(`${sandbox.url}/_control/openimis/revoke-tokens`, { method: 'POST' })).status).toBe(204);
    expect((await search(first)).body).toEqual({ detail: 'Error decoding signature.' });
    expect((await search(other, 'other-openimis')).status).toBe(401);

    const second = await token();
    expect((await search(second)).status).toBe(200);
    expect((await stats()).openimisLogins).toEqual({ 'demo-openimis': 2, 'other-openimis': 1 });
  });

  test('failed logins are not counted, and a reset clears the counter', async () => {
    await login({ username: 'passerelle', password: 'nope' });
    expect((await stats()).openimisLogins).toEqual({});
    await token();
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
    expect((await stats()).openimisLogins).toEqual({});
  });

  test.each(['demo-insurer', 'demo-mutuelle', 'nobody'])('%s has no openIMIS API: every route is 404', async (insurer) => {
    const jwt = await token();
    expect((await login(CREDENTIALS, insurer)).status).toBe(404);
    expect((await search(jwt, insurer)).status).toBe(404);
    expect((await call('/ClaimResponse/x/', {}, insurer)).status).toBe(404);
  });
});

describe('openIMIS face without the control API', () => {
  test('revoke-tokens is not mounted', async () => {
    const sandbox = await startSandbox({ port: 0, logger: pino({ level: 'silent' }) });
    try {
      expect((await fetch(`${sandbox.url}/_control/openimis/revoke-tokens`, { method: 'POST' })).status).toBe(404);
    } finally {
      await sandbox.close();
    }
  });
});
