/**
 * GET /.well-known/jwks.json through HTTP (supertest on a small app holding the router): public keys
 * only, cacheable, and following a rotation at once.
 */
import { tmpdir } from 'node:os';
import express from 'express';
import request from 'supertest';
import type { JWK } from 'jose';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { createTestDatabase } from '../../test/harness.js';
import { JWKS_PATH, jwksRouter } from './jwks-router.js';
import { SigningKeys, rotate } from './signing-keys.js';

let drop: () => Promise<void>;
let db: Database;
let app: express.Express;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = await openDatabase({ databaseUrl: database.url, dataDir: tmpdir() });
  await migrate(db);
  app = express().use(jwksRouter(await SigningKeys.open(db)));
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});

describe('GET /.well-known/jwks.json', () => {
  it('serves the public keys, cacheable, as a JWK Set', async () => {
    const res = await request(app).get(JWKS_PATH);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const { keys } = JSON.parse(res.text) as { keys: JWK[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('publishes the new and the previous key right after a rotation', async () => {
    const before = JSON.parse((await request(app).get(JWKS_PATH)).text) as { keys: JWK[] };
    const kid = await rotate(db);
    const after = JSON.parse((await request(app).get(JWKS_PATH)).text) as { keys: JWK[] };
    expect(after.keys.map((k) => k.kid)).toEqual([kid, before.keys[0]!.kid]);
    expect(after.keys.some((k) => 'd' in k)).toBe(false);
  });
});
