/**
 * Bearer tokens on the real PostgreSQL (the signing key is a deployment setting): a token verifies to
 * the caller it was issued for, a verified token is not verified again until it expires, and the memory
 * of verified tokens never accepts what verifying would refuse (an expired token, a tampered one).
 */
import { tmpdir } from 'node:os';
import { jest } from '@jest/globals';
import { decodeJwt } from 'jose';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { createTestDatabase } from '../../test/harness.js';
import { TokenService, type Caller } from './tokens.js';

let drop: () => Promise<void>;
let db: Database;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir() });
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});
afterEach(() => jest.restoreAllMocks());

const clinic: Caller = { participantId: 'clinic-a', kind: 'provider', clientId: 'clinic-a-client', scopes: new Set(['system/Claim.write']) };

/** Counts signature checks (jose verifies HS256 with WebCrypto). */
function signatureChecks(): { count(): number } {
  const spy = jest.spyOn(globalThis.crypto.subtle, 'verify');
  return { count: () => spy.mock.calls.length };
}

test('a token verifies to its caller, and its signature is checked once while it is valid', async () => {
  const tokens = await TokenService.open(db, 300);
  const token = await tokens.issue(clinic);
  const checks = signatureChecks();
  const first = await tokens.verify(token);
  expect(first).toMatchObject({ participantId: 'clinic-a', kind: 'provider', clientId: 'clinic-a-client' });
  expect([...first!.scopes]).toEqual(['system/Claim.write']);
  expect(checks.count()).toBe(1);
  expect(await tokens.verify(token)).toEqual(first);
  expect(await tokens.verify(token)).toEqual(first);
  expect(checks.count()).toBe(1);
  // The caller is shared by the requests that carry the token: nobody can change it.
  expect(Object.isFrozen(first)).toBe(true);
});

test('a token verified before is refused once it expires', async () => {
  const tokens = await TokenService.open(db, 1);
  const token = await tokens.issue(clinic);
  expect(await tokens.verify(token)).toBeDefined();
  const { exp } = decodeJwt(token);
  await new Promise((resolve) => setTimeout(resolve, exp! * 1000 - Date.now() + 20));
  expect(await tokens.verify(token)).toBeUndefined();
});

test('a tampered copy of a verified token is refused', async () => {
  const tokens = await TokenService.open(db, 300);
  const token = await tokens.issue(clinic);
  expect(await tokens.verify(token)).toBeDefined();
  const [header, payload, signature] = token.split('.');
  const forged = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  forged.ptp = 'clinic-b';
  expect(await tokens.verify(`${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`)).toBeUndefined();
  const flipped = signature!.startsWith('A') ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`;
  expect(await tokens.verify(`${header}.${payload}.${flipped}`)).toBeUndefined();
  expect(await tokens.verify('not-a-token')).toBeUndefined();
});

test('a token of another deployment (another key) is refused', async () => {
  const database = await createTestDatabase();
  const other = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir() });
  try {
    await migrate(other);
    const foreign = await (await TokenService.open(other, 300)).issue(clinic);
    expect(await (await TokenService.open(db, 300)).verify(foreign)).toBeUndefined();
  } finally {
    await other.close();
    await database.drop();
  }
});

test('the memory of verified tokens is bounded: the oldest is verified again once 10,000 others came after it', async () => {
  const tokens = await TokenService.open(db, 300);
  const oldest = await tokens.issue(clinic);
  await tokens.verify(oldest);
  for (let i = 0; i < 10_000; i++) await tokens.verify(await tokens.issue({ ...clinic, clientId: `client-${i}` }));
  const checks = signatureChecks();
  expect(await tokens.verify(oldest)).toBeDefined();
  expect(checks.count()).toBe(1);
}, 60_000);
