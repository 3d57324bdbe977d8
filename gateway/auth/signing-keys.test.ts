/**
 * The gateway signing key on the real PostgreSQL: one key per deployment whatever the number of
 * processes, a kid that is the key's RFC 7638 thumbprint, a JWK Set without private members, and
 * rotation that keeps the previous key published until the next one.
 */
import { tmpdir } from 'node:os';
import { CompactSign, calculateJwkThumbprint, compactVerify, createLocalJWKSet, errors, type JWK } from 'jose';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { createTestDatabase } from '../../test/harness.js';
import { CURRENT_KEY_SETTING, SigningKeys, rotate } from './signing-keys.js';

let drop: () => Promise<void>;
/** Two connections to one database: two processes of one deployment. */
let processA: Database;
let processB: Database;

beforeEach(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  processA = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir() });
  processB = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir() });
  await migrate(processA);
});
afterEach(async () => {
  await processA?.close();
  await processB?.close();
  await drop?.();
});

/** A compact JWS by the keys' current key. */
async function signWith(keys: SigningKeys, text = 'payload'): Promise<string> {
  const { kid, alg, privateKey } = await keys.current();
  return new CompactSign(new TextEncoder().encode(text)).setProtectedHeader({ alg, kid }).sign(privateKey);
}

/** Whether a JWS verifies against the keys' published set. */
async function verifies(jws: string, keys: SigningKeys): Promise<boolean> {
  try {
    await compactVerify(jws, createLocalJWKSet(await keys.publicJwks()), { algorithms: ['ES256'] });
    return true;
  } catch (err) {
    if (err instanceof errors.JOSEError) return false;
    throw err;
  }
}

async function kids(keys: SigningKeys): Promise<string[]> {
  return (await keys.publicJwks()).keys.map((k) => k.kid!);
}

describe('gateway signing keys', () => {
  it('creates one key on the first start, which every process of the deployment signs with', async () => {
    const [a, b] = await Promise.all([SigningKeys.open(processA), SigningKeys.open(processB)]);
    const stored = await processA.query<{ value: string }>('select value from gateway_settings where key = $1', [CURRENT_KEY_SETTING]);
    expect(stored.rows).toHaveLength(1);
    expect((await a.current()).kid).toBe((await b.current()).kid);
    expect(await verifies(await signWith(a), b)).toBe(true);
    // A restart loads the stored key instead of making another.
    const again = await SigningKeys.open(processB);
    expect((await again.current()).kid).toBe((await a.current()).kid);
  });

  it('names the key by its RFC 7638 thumbprint and publishes no private member', async () => {
    const keys = await SigningKeys.open(processA);
    const { keys: published } = await keys.publicJwks();
    expect(published).toHaveLength(1);
    const jwk = published[0]!;
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk.kid).toBe(await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK, 'sha256'));
    expect(jwk.kid).toBe((await keys.current()).kid);
    // The stored private key is the one published: its thumbprint is the same kid.
    const stored = await processA.query<{ value: string }>('select value from gateway_settings where key = $1', [CURRENT_KEY_SETTING]);
    const privateJwk = JSON.parse(stored.rows[0]!.value) as JWK;
    expect(privateJwk.d).toMatch(/^[\w-]{40,}$/); // a private P-256 scalar, base64url
    expect(await calculateJwkThumbprint(privateJwk, 'sha256')).toBe(jwk.kid);
    expect(JSON.stringify(published)).not.toContain(privateJwk.d);
  });

  it('rotates: the new key signs, the previous stays published until the next rotation', async () => {
    const a = await SigningKeys.open(processA);
    const b = await SigningKeys.open(processB);
    const first = (await a.current()).kid;
    const signedBefore = await signWith(a);

    const second = await rotate(processA);
    expect(second).not.toBe(first);
    // The other process signs with the new key and publishes both, without a restart.
    expect((await b.current()).kid).toBe(second);
    expect(await kids(b)).toEqual([second, first]);
    expect(await verifies(signedBefore, b)).toBe(true);
    const signedAfter = await signWith(b);
    expect(await verifies(signedAfter, a)).toBe(true);

    const third = await rotate(processB);
    expect(await kids(a)).toEqual([third, second]);
    expect(await verifies(signedBefore, a)).toBe(false);
    expect(await verifies(signedAfter, a)).toBe(true);
  });

  it('runs concurrent rotations one after the other, losing no key', async () => {
    const keys = await SigningKeys.open(processA);
    const [x, y] = await Promise.all([rotate(processA), rotate(processB)]);
    const published = await kids(keys);
    expect(new Set(published)).toEqual(new Set([x, y]));
    expect([x, y]).toContain(published[0]);
  });
});
