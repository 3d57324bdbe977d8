/**
 * Payload encryption compatible with HCX (JWE RSA-OAEP-256 / A256GCM in {"payload": "<JWE>"}): a claim
 * encrypted to the gateway's published key is accepted, a tampered one refused; pushes to a provider
 * that asked for encryption are encrypted to its registered key and decrypt to the ClaimResponse.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { ClaimResponse } from '@medplum/fhirtypes';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';
import { listenOnFreePort } from './http-server.js';
import { expectOutcome } from './outcome-assertions.js';

const SECRET = 'callback-secret-of-secret-clinic-0123';
let gw: TestGateway;
let dir: string;
let server: { url: string; close(): Promise<void> };
let clinicPrivate: CryptoKey;
const pushes: Array<{ body: string; signature: string }> = [];

beforeAll(async () => {
  const pair = await generateKeyPair('RSA-OAEP-256', { modulusLength: 2048 });
  clinicPrivate = pair.privateKey;
  const app = express();
  app.post('/cb', express.text({ type: '*/*' }), (req, res) => {
    pushes.push({ body: req.body as string, signature: req.get('passerelle-signature') ?? '' });
    res.status(204).end();
  });
  server = await listenOnFreePort(app);
  dir = mkdtempSync(join(tmpdir(), 'passerelle-jwe-'));
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ participants: [
    { id: 'secret-clinic', kind: 'provider', name: 'Clinique chiffrée', callbackUrl: `${server.url}/cb`, callbackSecret: SECRET, encryptPayloads: true,
      clients: [{ clientId: 'secret-clinic', secret: 'secret-clinic-secret', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'clinic-enc', use: 'enc', alg: 'RSA-OAEP-256' }] } }] },
    { id: 'keyless-clinic', kind: 'provider', name: 'Clinique sans clé', callbackUrl: `${server.url}/cb`, callbackSecret: SECRET, encryptPayloads: true,
      clients: [{ clientId: 'keyless-clinic', secret: 'keyless-clinic-secret' }] },
  ] }));
  gw = await startTestGateway({ env: { SEED_FILE: seed } });
});
afterAll(async () => {
  await gw?.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function gatewayKey(): Promise<JWK> {
  const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  const key = jwks.keys.find((k) => k.use === 'enc');
  expect(key).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256' });
  expect(key).not.toHaveProperty('d');
  return key!;
}

async function encrypted(body: string, jwk: JWK): Promise<string> {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(body)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: jwk.kid }).encrypt(await importJWK(jwk, 'RSA-OAEP-256'));
  return JSON.stringify({ payload: jwe });
}

describe('payload encryption (JWE)', () => {
  it('accepts a claim encrypted to the gateway key, and refuses tampered or misdirected ones', async () => {
    const key = await gatewayKey();
    const answer = await gw.submit(await encrypted(JSON.stringify(claimBundle()), key));
    expect(answer.status).toBe(202);
    await gw.waitForStatus(answer.headers.get('location')!.split('/Claim/')[1]!, ['complete']);

    const envelope = JSON.parse(await encrypted(JSON.stringify(claimBundle()), key)) as { payload: string };
    const parts = envelope.payload.split('.');
    parts[3] = `${parts[3]!.slice(0, -2)}${parts[3]!.endsWith('AA') ? 'BB' : 'AA'}`; // alter the ciphertext
    expectOutcome(await gw.submit(JSON.stringify({ payload: parts.join('.') })), 400, 'jwe-invalid');
    const other = await exportJWK((await generateKeyPair('RSA-OAEP-256', { extractable: true })).publicKey);
    expectOutcome(await gw.submit(await encrypted(JSON.stringify(claimBundle()), { ...other, kid: 'x' })), 400, 'jwe-invalid');
    expectOutcome(await gw.submit(await encrypted('{"resourceType":"Bundle","__proto__":{}}', key)), 400, 'json-forbidden-key'); // the plaintext gets every check a plain body gets
  });

  it('encrypts pushes to a provider that asked for it, to its registered key', async () => {
    pushes.length = 0;
    const answer = await gw.submit(claimBundle(undefined, { provider: 'secret-clinic' }), 'secret-clinic');
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await eventually(async () => expect(pushes).toHaveLength(1));
    const push = pushes[0]!;
    const envelope = JSON.parse(push.body) as { payload: string };
    expect(Object.keys(envelope)).toEqual(['payload']);
    const { plaintext, protectedHeader } = await compactDecrypt(envelope.payload, clinicPrivate);
    expect(protectedHeader).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'clinic-enc' });
    expect(JSON.parse(new TextDecoder().decode(plaintext)) as ClaimResponse).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete', request: { reference: `Claim/${claimId}` } });
    const [t, v1] = push.signature.split(',').map((kv) => kv.split('=')[1]!);
    expect(createHmac('sha256', SECRET).update(`${t}.${push.body}`).digest('hex')).toBe(v1); // signed as sent
  });

  it('does not push in clear to a provider that asked for encryption but registered no key', async () => {
    pushes.length = 0;
    const answer = await gw.submit(claimBundle(undefined, { provider: 'keyless-clinic' }), 'keyless-clinic');
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await eventually(async () => {
      const events = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [claimId]);
      expect(events.rows.map((r) => r.status)).toContain('push-failed');
    });
    expect(pushes).toHaveLength(0);
  });
});
