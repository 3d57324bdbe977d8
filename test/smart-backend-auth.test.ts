/**
 * SMART Backend Services authentication: private_key_jwt with keys registered inline or by URL, and the
 * negative cases an auditor checks (grant and assertion types, signature, kid, algorithm, exp, aud,
 * iss/sub, jti replay, expired tokens), with client secrets switched off.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';
import { listenOnFreePort } from './http-server.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Key { readonly privateKey: CryptoKey; readonly jwk: JWK; readonly alg: 'ES384' | 'RS384' }

async function key(alg: 'ES384' | 'RS384', kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, alg, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

let gw: TestGateway;
let dir: string;
let jwksServer: { url: string; close(): Promise<void> };
let served: JWK[] = [];
let inline: Key;
let byUrl: Key;

beforeAll(async () => {
  inline = await key('ES384', 'clinic-key-1');
  byUrl = await key('RS384', 'hospital-key-1');
  served = [byUrl.jwk];
  const app = express();
  app.get('/jwks.json', (_req, res) => {
    res.json({ keys: served });
  });
  jwksServer = await listenOnFreePort(app);
  dir = mkdtempSync(join(tmpdir(), 'passerelle-smart-'));
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ participants: [
    { id: 'key-clinic', kind: 'provider', name: 'Clinique à clé', clients: [{ clientId: 'key-clinic', jwks: { keys: [inline.jwk] } }] },
    { id: 'url-hospital', kind: 'provider', name: 'Hôpital à clé publiée', clients: [{ clientId: 'url-hospital', jwksUrl: `${jwksServer.url}/jwks.json` }] },
  ] }));
  gw = await startTestGateway({ env: { SEED_FILE: seed, CLIENT_SECRETS_ENABLED: 'false' } });
});
afterAll(async () => {
  await gw?.stop();
  await jwksServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

function assertion(signer: Key, clientId: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // One payload, overrides last (jose's setters would overwrite claims given to the constructor).
  const payload = { iss: clientId, sub: clientId, aud: `${gw.url}/auth/token`, iat: now, exp: now + 240, jti: randomUUID(), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: signer.alg, kid: signer.jwk.kid, typ: 'JWT', ...header }).sign(signer.privateKey);
}

async function token(form: Record<string, string>) {
  const res = await fetch(`${gw.url}/auth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', ...form }) });
  return { status: res.status, body: (await res.json()) as { access_token?: string; expires_in?: number; error?: string; error_description?: string } };
}

const withAssertion = (jwt: string, extra: Record<string, string> = {}) => token({ client_assertion_type: ASSERTION_TYPE, client_assertion: jwt, ...extra });

async function refused(jwt: Promise<string> | string, description: RegExp) {
  const answer = await withAssertion(await jwt);
  expect(answer.status).toBe(401);
  expect(answer.body.error).toBe('invalid_client');
  expect(answer.body.error_description).toMatch(description);
}

describe('SMART Backend Services (private_key_jwt)', () => {
  it('publishes its SMART configuration', async () => {
    const config = (await (await fetch(`${gw.url}/.well-known/smart-configuration`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      token_endpoint: `${gw.url}/auth/token`, grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'], token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    });
  });

  it('gives a 5-minute token for an assertion signed with an inline key (ES384), usable to submit a claim', async () => {
    const answer = await withAssertion(await assertion(inline, 'key-clinic'));
    expect(answer.status).toBe(200);
    expect(answer.body.expires_in).toBeLessThanOrEqual(300);
    const res = await fetch(`${gw.url}/fhir/Claim/$submit`, {
      method: 'POST', body: JSON.stringify(claimBundle(undefined, { provider: 'key-clinic' })),
      headers: { Authorization: `Bearer ${answer.body.access_token}`, 'Content-Type': 'application/fhir+json' },
    });
    expect(res.status).toBe(202);
  });

  it('verifies keys published at a URL (RS384), and follows a key rotation', async () => {
    expect((await withAssertion(await assertion(byUrl, 'url-hospital'))).status).toBe(200);
    const next = await key('RS384', 'hospital-key-2');
    served = [byUrl.jwk, next.jwk]; // the client publishes its new key, then uses it
    await eventually(async () => expect((await withAssertion(await assertion(next, 'url-hospital'))).status).toBe(200), 15_000);
  }, 30_000);

  it('refuses what SMART says to refuse', async () => {
    const other = await key('ES384', 'clinic-key-1'); // same kid, another key
    const hs = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).setIssuer('key-clinic').setSubject('key-clinic')
      .setAudience(`${gw.url}/auth/token`).setExpirationTime('2m').sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough!'));
    const now = Math.floor(Date.now() / 1000);
    await refused(assertion(other, 'key-clinic'), /signature does not verify/);
    await refused(assertion(inline, 'key-clinic', {}, { kid: 'no-such-key' }), /No registered key matches/);
    await refused(hs, /signed with RS384 or ES384|No registered key/);
    await refused(assertion(inline, 'key-clinic', { exp: now + 600 }), /exp must be at most 300 seconds/);
    await refused(assertion(inline, 'key-clinic', { exp: now - 120, iat: now - 200 }), /expired/);
    await refused(assertion(inline, 'key-clinic', { aud: 'https://elsewhere.example/token' }), /aud is not valid/);
    await refused(assertion(inline, 'key-clinic', { sub: 'url-hospital' }), /iss and sub/);
    await refused(assertion(inline, 'key-clinic', { jti: undefined }), /jti|required/);
    await refused(assertion(inline, 'unknown-client'), /Unknown or disabled client/);
    const once = await assertion(inline, 'key-clinic');
    expect((await withAssertion(once)).status).toBe(200);
    await refused(once, /already used/);
  });

  it('refuses wrong grant and assertion types, a mismatching client_id, and secrets when they are off', async () => {
    const jwt = await assertion(inline, 'key-clinic');
    expect((await token({ grant_type: 'password', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt })).body.error).toBe('unsupported_grant_type');
    const wrongType = await token({ client_assertion_type: 'urn:example:other', client_assertion: jwt });
    expect([wrongType.status, wrongType.body.error]).toEqual([400, 'invalid_request']);
    expect((await withAssertion(await assertion(inline, 'key-clinic'), { client_id: 'url-hospital' })).body.error_description).toMatch(/client_id does not match/);
    const secret = await token({ client_id: 'demo-clinic', client_secret: 'demo-clinic-secret' });
    expect([secret.status, secret.body.error]).toEqual([401, 'invalid_client']);
    expect(secret.body.error_description).toMatch(/Client secrets are disabled/);
  });

  it('refuses an expired access token', async () => {
    const key = (await gw.passerelle.db.query<{ value: string }>(`select value from gateway_settings where key = 'token-hs256-key'`)).rows[0]!.value;
    const expired = await new SignJWT({ ptp: 'key-clinic', knd: 'provider', scope: 'system/Claim.read' })
      .setProtectedHeader({ alg: 'HS256' }).setIssuer('urn:passerelle:gateway').setAudience('urn:passerelle:api').setSubject('key-clinic')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600).setExpirationTime(Math.floor(Date.now() / 1000) - 300).sign(Buffer.from(key, 'base64url'));
    const res = await fetch(`${gw.url}/fhir/Claim/00000000-0000-4000-8000-000000000000`, { headers: { Authorization: `Bearer ${expired}` } });
    expect(res.status).toBe(401);
  });
});
