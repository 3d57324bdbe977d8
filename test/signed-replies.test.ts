/**
 * Signed replies: an insurer client with registered keys must sign each ClaimResponse it posts (a
 * detached JWS over the body, Passerelle-JWS); unsigned, forged, altered and stale replies are refused.
 * An insurer client without keys (the demo secret) is not asked for a signature.
 */
import { randomUUID } from 'node:crypto';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { claimBundle, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
let insurerKey: CryptoKey;
let token: string;
let claimId: string;

beforeAll(async () => {
  gw = await startTestGateway();
  const pair = await generateKeyPair('ES384');
  insurerKey = pair.privateKey;
  const operator = await gw.token('demo-operator');
  const registered = await fetch(`${gw.url}/admin/participants/demo-insurer/clients`, {
    method: 'POST', headers: { Authorization: `Bearer ${operator}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId: 'demo-insurer-signed', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'ipm-2026' }] } }),
  });
  expect(registered.status).toBe(201);
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ iss: 'demo-insurer-signed', sub: 'demo-insurer-signed', aud: `${gw.url}/auth/token`, exp: now + 120, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES384', kid: 'ipm-2026' }).sign(insurerKey);
  token = ((await (await fetch(`${gw.url}/auth/token`, { method: 'POST', body: new URLSearchParams({
    grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
  }) })).json()) as { access_token: string }).access_token;
  await gw.sandbox('/_control/pended-posting', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: false }) });
  const answer = await gw.submit(claimBundle('claim-bundle-above-pend-threshold'));
  claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
  await gw.waitForStatus(claimId, ['pended']);
});
afterAll(async () => {
  await gw?.stop();
});

const reply = () => JSON.stringify({
  resourceType: 'ClaimResponse', status: 'active', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  use: 'claim', patient: { identifier: { system: 'urn:passerelle:demo-insurer:member', value: 'M0001' } }, created: new Date().toISOString(),
  insurer: { identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } }, outcome: 'complete', request: { reference: `Claim/${claimId}` },
});

async function sign(body: string, key: CryptoKey, iat = Math.floor(Date.now() / 1000)): Promise<string> {
  const [header, , signature] = (await new CompactSign(new TextEncoder().encode(body)).setProtectedHeader({ alg: 'ES384', kid: 'ipm-2026', typ: 'JOSE', iat }).sign(key)).split('.');
  return `${header}..${signature}`;
}

async function post(body: string, jws?: string): Promise<HttpAnswer> {
  const res = await fetch(`${gw.url}/fhir/ClaimResponse`, {
    method: 'POST', body, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json', ...(jws ? { 'Passerelle-JWS': jws } : {}) },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

describe('signed replies from insurers with registered keys', () => {
  it('refuses unsigned, forged, altered and stale replies', async () => {
    const body = reply();
    expectOutcome(await post(body), 401, 'signature-invalid');
    expectOutcome(await post(body, await sign(body, (await generateKeyPair('ES384')).privateKey)), 401, 'signature-invalid');
    expectOutcome(await post(body.replace('"complete"', '"error"'), await sign(body, insurerKey)), 401, 'signature-invalid');
    expectOutcome(await post(body, await sign(body, insurerKey, Math.floor(Date.now() / 1000) - 900)), 401, 'signature-invalid');
    expectOutcome(await post(body, 'not-a-jws'), 401, 'signature-invalid');
    expect((await gw.get(`/fhir/Claim/${claimId}`)).body.extension).toEqual(expect.arrayContaining([expect.objectContaining({ valueCode: 'pended' })]));
  });

  it('takes a correctly signed reply', async () => {
    const body = reply();
    const answer = await post(body, await sign(body, insurerKey));
    expect(answer.status).toBe(201);
    await gw.waitForStatus(claimId, ['complete']);
  });

  it('asks no signature of an insurer client without keys (the demo secret client)', async () => {
    const secretToken = await gw.token('demo-insurer');
    const other = await gw.submit(claimBundle('claim-bundle-above-pend-threshold'));
    const otherId = other.headers.get('location')!.split('/Claim/')[1]!;
    await gw.waitForStatus(otherId, ['pended']);
    const res = await fetch(`${gw.url}/fhir/ClaimResponse`, {
      method: 'POST', headers: { Authorization: `Bearer ${secretToken}`, 'Content-Type': 'application/fhir+json' },
      body: reply().replace(`Claim/${claimId}`, `Claim/${otherId}`),
    });
    expect(res.status).toBe(201);
  });
});
