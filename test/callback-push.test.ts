/**
 * Push of the adjudication to a provider's callback Endpoint: signed with HMAC-SHA256 over
 * "{timestamp}.{body}" with the provider's callback secret and with a detached JWS by the gateway's
 * key (public keys at /.well-known/jwks.json), and retried when the callback fails. Both signatures are
 * checked here independently of the gateway's code, the way a provider would.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { CompactSign, calculateJwkThumbprint, createLocalJWKSet, createRemoteJWKSet, errors, exportJWK, flattenedVerify, generateKeyPair, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import type { ClaimResponse } from '@medplum/fhirtypes';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';

const SECRET = 'callback-secret-of-test-clinic-0123456789';

interface Push {
  readonly body: string;
  readonly signature: string;
  readonly deliveryId: string;
  readonly jws: string;
}

let gw: TestGateway;
let server: Server;
let seedDir: string;
const pushes: Push[] = [];
let failuresToServe = 0;
let onPush: (() => void) | undefined;

beforeAll(async () => {
  const app = express();
  app.post('/passerelle/callback', express.text({ type: '*/*' }), (req, res) => {
    if (failuresToServe > 0) {
      failuresToServe--;
      res.status(500).end();
      return;
    }
    pushes.push({ body: req.body as string, signature: req.get('passerelle-signature') ?? '', deliveryId: req.get('passerelle-delivery-id') ?? '', jws: req.get('passerelle-jws') ?? '' });
    res.status(204).end();
    onPush?.();
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/passerelle/callback`;
  seedDir = mkdtempSync(join(tmpdir(), 'passerelle-seed-'));
  const seedFile = join(seedDir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify({
    participants: [{ id: 'test-clinic', kind: 'provider', name: 'Test clinic', callbackUrl, callbackSecret: SECRET,
      clients: [{ clientId: 'test-clinic', secret: 'test-clinic-secret' }] }],
  }));
  gw = await startTestGateway({ env: { SEED_FILE: seedFile } });
});
afterAll(async () => {
  await gw?.stop();
  server?.close();
  rmSync(seedDir, { recursive: true, force: true });
});

/** Verifies "t=...,v1=..." the way a provider would. */
function verify(push: Push, now = Date.now() / 1000): boolean {
  const parts = Object.fromEntries(push.signature.split(',').map((kv) => kv.split('=') as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > 300) return false;
  const expected = createHmac('sha256', SECRET).update(`${parts.t}.${push.body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Where the verifier finds the key for a header: the gateway's remote set or a local one. */
type KeySource = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** The gateway's published keys, fetched over HTTP as a provider would (and refetched on an unknown kid). */
function gatewayJwks(): KeySource {
  return createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
}

/**
 * Verifies Passerelle-JWS the way a provider would: a detached compact JWS ("header..signature") whose
 * payload is the exact body received; ES256 only; returns the verified protected header.
 */
async function verifyJws(push: Push, keys: KeySource): Promise<JWSHeaderParameters> {
  const parts = push.jws.split('.');
  if (parts.length !== 3 || parts[1] !== '') throw new Error('not a detached compact JWS');
  const payload = Buffer.from(push.body, 'utf8').toString('base64url');
  const { protectedHeader } = await flattenedVerify({ protected: parts[0]!, payload, signature: parts[2]! }, keys, { algorithms: ['ES256'] });
  return protectedHeader!;
}

function nextPushes(count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => pushes.length >= count && resolve();
    onPush = check;
    check();
  });
}

describe('push to the provider callback', () => {
  it('pushes the insurer ClaimResponse, signed so the provider can verify it', async () => {
    pushes.length = 0;
    const answer = await gw.submit(claimBundle(undefined, { provider: 'test-clinic' }), 'test-clinic');
    expect(answer.status).toBe(202);
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await nextPushes(1);
    const push = pushes[0]!;
    expect(verify(push)).toBe(true);
    const response = JSON.parse(push.body) as ClaimResponse;
    expect(response).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete', request: { reference: `Claim/${claimId}` } });
    expect(push.deliveryId).toBe(response.id);
    // A tampered body or another secret does not verify.
    expect(verify({ ...push, body: push.body.replace('complete', 'error') })).toBe(false);
    expect(verify({ ...push, signature: push.signature.replace(/v1=(.)/, (_, c: string) => `v1=${c === '0' ? '1' : '0'}`) })).toBe(false);
    const pulled = await gw.get(`/fhir/ClaimResponse/${response.id}`, 'test-clinic');
    expect(pulled.body).toEqual(response);
  });

  it('signs each push with the gateway key too (Passerelle-JWS), verifiable with the JWKS it publishes', async () => {
    pushes.length = 0;
    await gw.submit(claimBundle(undefined, { provider: 'test-clinic' }), 'test-clinic');
    await nextPushes(1);
    const push = pushes[0]!;
    const header = await verifyJws(push, gatewayJwks());
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JOSE', aud: 'test-clinic', 'urn:passerelle:delivery-id': push.deliveryId });
    const t = Number(Object.fromEntries(push.signature.split(',').map((kv) => kv.split('=') as [string, string])).t);
    expect(header.iat).toBe(t);
    expect(Math.abs(Date.now() / 1000 - Number(header.iat))).toBeLessThan(300);

    // A tampered body does not verify.
    await expect(verifyJws({ ...push, body: push.body.replace('complete', 'error') }, gatewayJwks())).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    // Another key under the gateway's kid does not verify the gateway's signature.
    const other = await generateKeyPair('ES256', { extractable: true });
    const impostor = createLocalJWKSet({ keys: [{ ...(await exportJWK(other.publicKey)), kid: header.kid, alg: 'ES256' }] });
    await expect(verifyJws(push, impostor)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    // A body signed by another key is refused, whether it names its own kid or the gateway's.
    const forge = async (kid: string) => {
      const jws = await new CompactSign(new TextEncoder().encode(push.body)).setProtectedHeader({ ...header, alg: 'ES256', kid }).sign(other.privateKey);
      return { ...push, jws: jws.replace(/\.[^.]+\./, '..') };
    };
    const ownKid = await calculateJwkThumbprint(await exportJWK(other.publicKey));
    await expect(verifyJws(await forge(ownKid), gatewayJwks())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await expect(verifyJws(await forge(header.kid!), gatewayJwks())).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('retries a callback that fails, then delivers it', async () => {
    pushes.length = 0;
    failuresToServe = 2;
    const answer = await gw.submit(claimBundle(undefined, { provider: 'test-clinic' }), 'test-clinic');
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await nextPushes(1);
    expect(failuresToServe).toBe(0);
    expect(verify(pushes[0]!)).toBe(true);
    await verifyJws(pushes[0]!, gatewayJwks());
    await eventually(async () => {
      const history = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [claimId]);
      expect(history.rows.map((r) => r.status).filter((s) => s.startsWith('push'))).toEqual(['push-retry', 'push-retry', 'pushed']);
    });
  });

  it('pushes the error answer of a claim whose delivery failed for good (a dead letter)', async () => {
    pushes.length = 0;
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', status: 500, count: 4 }) });
    const answer = await gw.submit(claimBundle(undefined, { provider: 'test-clinic' }), 'test-clinic');
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await nextPushes(1);
    expect(verify(pushes[0]!)).toBe(true);
    const response = JSON.parse(pushes[0]!.body) as ClaimResponse;
    expect(response).toMatchObject({ outcome: 'error', request: { reference: `Claim/${claimId}` }, error: [{ code: { coding: [{ code: 'delivery-failed' }] } }] });
  });

  it('does not push to providers without a callback (demo-clinic)', async () => {
    pushes.length = 0;
    const answer = await gw.submit(claimBundle());
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await gw.waitForStatus(claimId, ['complete']);
    const outbox = await gw.passerelle.db.query<{ n: number }>(`select count(*)::int as n from outbox where job_name = 'push-claim-response' and payload->>'claimResponseId' in (select id::text from claim_responses where claim_id = $1)`, [claimId]);
    expect(outbox.rows[0]!.n).toBe(0);
    expect(pushes).toHaveLength(0);
  });
});
