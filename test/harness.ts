/**
 * Starts the real thing for integration tests: a fresh PostgreSQL database and a fresh queue prefix
 * per gateway, the gateway on a free port in demo mode (so the sandbox insurer runs on its own free
 * port, answering over real HTTP), and small HTTP helpers. Everything is removed by stop().
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { Bundle, Claim, ClaimResponse, Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../gateway/config.js';
import { createLogger } from '../gateway/logger.js';
import { startPasserelle, type Passerelle, type StartOptions } from '../gateway/runtime.js';
import { PROCESSING_STATUS_EXTENSION, type ClaimStatus } from '../gateway/claims/claim-status.js';
import { openDatabase, type Database } from '../gateway/store/database.js';
import { migrate } from '../gateway/store/migrate.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './services.js';

/** A fresh database on the test server; drop() removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `passerelle_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/**
 * A migrated store with a provider "clinic" and an insurer "ipm": a fresh PostgreSQL database, or PGlite
 * in a fresh directory; close() removes it.
 */
export async function openTestStore(store: 'PostgreSQL' | 'PGlite'): Promise<{ db: Database; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-store-'));
  const database = store === 'PostgreSQL' ? await createTestDatabase() : undefined;
  const db = await openDatabase({ dataDir, ...(database ? { databaseUrl: database.url } : {}) });
  await migrate(db);
  for (const [id, kind] of [['clinic', 'provider'], ['ipm', 'insurer']]) {
    await db.query(`insert into participants (id, kind, name, organization) values ($1, $2, $1, '{}')`, [id, kind]);
  }
  return {
    db,
    close: async () => {
      await db.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deletes every Redis key under a queue prefix. */
export async function removeQueues(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TestGateway {
  readonly passerelle: Passerelle;
  readonly url: string;
  readonly sandboxUrl: string;
  readonly databaseUrl?: string;
  token(clientId: string, secret?: string): Promise<string>;
  submit(bundle: unknown, clientId?: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  get(path: string, clientId?: string): Promise<HttpAnswer>;
  /** POSTs a JSON body (application/fhir+json) as this participant's client. */
  post(path: string, body: unknown, clientId?: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  waitForStatus(claimId: string, statuses: readonly ClaimStatus[], clientId?: string, timeoutMs?: number): Promise<Claim>;
  sandbox(path: string, init?: RequestInit): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & { resourceType?: string };
}

/** Environment a test gateway starts with; tests override any of it. */
function testEnv(databaseUrl: string | undefined, prefix: string, dataDir: string): NodeJS.ProcessEnv {
  return {
    PASSERELLE_MODE: 'demo', PORT: '0', SANDBOX_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix,
    DELIVERY_BACKOFF_MS: '50', DELIVERY_ATTEMPTS: '4', CALLBACK_BACKOFF_MS: '50', OUTBOX_RELAY_INTERVAL_MS: '200',
    SANDBOX_PEND_DELAY_MS: '300', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
}

/** Starts a gateway in demo mode on fresh stores. With embedded, it runs on PGlite instead of PostgreSQL. */
export async function startTestGateway(options: { env?: NodeJS.ProcessEnv; embedded?: boolean; start?: StartOptions } = {}): Promise<TestGateway> {
  const database = options.embedded ? undefined : await createTestDatabase();
  const prefix = `ptest-${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-test-'));
  const config = loadConfig({ ...testEnv(database?.url, prefix, dataDir), ...options.env });
  let passerelle: Passerelle;
  try {
    passerelle = await startPasserelle(config, { logger: createLogger(config.logLevel), ...options.start });
  } catch (err) {
    await database?.drop();
    throw err;
  }
  const url = passerelle.url!;
  const tokens = new Map<string, string>();
  const token = async (clientId: string, secret = `${clientId}-secret`) => {
    const cached = tokens.get(`${clientId}:${secret}`);
    if (cached) return cached;
    const res = await fetch(`${url}/auth/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`no token for ${clientId}: ${JSON.stringify(body)}`);
    tokens.set(`${clientId}:${secret}`, body.access_token);
    return body.access_token;
  };
  const request = async (path: string, init: RequestInit, clientId?: string): Promise<HttpAnswer> => {
    const headers = new Headers(init.headers);
    if (clientId) headers.set('Authorization', `Bearer ${await token(clientId)}`);
    const res = await fetch(`${url}${path}`, { ...init, headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
  const gateway: TestGateway = {
    passerelle, url, sandboxUrl: passerelle.sandbox!.url, databaseUrl: database?.url, token,
    submit: (bundle, clientId = 'demo-clinic', headers = {}) => request('/fhir/Claim/$submit', {
      method: 'POST', headers: { 'Content-Type': 'application/fhir+json', ...headers },
      body: typeof bundle === 'string' ? bundle : JSON.stringify(bundle),
    }, clientId),
    get: (path, clientId = 'demo-clinic') => request(path, { method: 'GET' }, clientId),
    post: (path, body, clientId = 'demo-clinic', headers = {}) => request(path, {
      method: 'POST', headers: { 'Content-Type': 'application/fhir+json', ...headers }, body: JSON.stringify(body),
    }, clientId),
    waitForStatus: async (claimId, statuses, clientId = 'demo-clinic', timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await gateway.get(`/fhir/Claim/${claimId}`, clientId);
        const claim = answer.body as unknown as Claim;
        if (statuses.includes(processingStatus(claim)!)) return claim;
        if (Date.now() > deadline) throw new Error(`claim ${claimId} is ${processingStatus(claim)}, not ${statuses.join('/')} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    sandbox: async (path, init = {}) => {
      const res = await fetch(`${passerelle.sandbox!.url}${path}`, init);
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
    },
    stop: async () => {
      await passerelle.close();
      await removeQueues(prefix);
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return gateway;
}

/** The gateway id of a claim from the Location of its 202. */
export const claimIdOf = (answer: { headers: Headers }) => answer.headers.get('location')!.split('/Claim/')[1]!;

/** The processing status the gateway reports on a Claim. */
export function processingStatus(claim: Claim): ClaimStatus | undefined {
  return claim.extension?.find((e) => e.url === PROCESSING_STATUS_EXTENSION)?.valueCode as ClaimStatus | undefined;
}

/** The insurer's answers among a claim's responses (the first response is always the gateway's own). */
export function insurerResponses(searchset: Record<string, unknown>): ClaimResponse[] {
  return ((searchset as unknown as Bundle).entry ?? []).slice(1).map((e) => e.resource as ClaimResponse);
}

const fixtureDir = new URL('./fixtures/', import.meta.url);

/** A fixture bundle with its dates set to today and a unique claim identifier (or the one given). */
export function claimBundle(name = 'claim-bundle-covered-member', changes: { identifier?: string; member?: string; insurer?: string; provider?: string } = {}): Bundle {
  const today = new Date().toISOString().slice(0, 10);
  const text = readFileSync(new URL(`${name}.json`, fixtureDir), 'utf8').replaceAll('TODAY', today);
  const bundle = JSON.parse(text) as Bundle;
  const claim = bundle.entry![0]!.resource as Claim;
  claim.identifier = [{ system: 'urn:test:claim', value: changes.identifier ?? randomUUID() }];
  if (changes.provider) claim.provider = { identifier: { system: 'urn:passerelle:participant', value: changes.provider } };
  if (changes.insurer) {
    claim.insurer = { identifier: { system: 'urn:passerelle:participant', value: changes.insurer } };
  }
  if (changes.member || changes.insurer) {
    const insurer = changes.insurer ?? 'demo-insurer';
    const member = changes.member ?? (insurer === 'demo-mutuelle' ? 'C0001' : 'M0001');
    for (const entry of bundle.entry!.slice(1)) {
      const resource = entry.resource as Resource & { identifier?: Array<{ system?: string; value?: string }> };
      if (resource.resourceType === 'Patient' || resource.resourceType === 'Coverage') {
        resource.identifier = [{ system: `urn:passerelle:${insurer}:member`, value: member }];
      }
      if (resource.resourceType === 'Coverage') {
        (resource as unknown as { payor: unknown[] }).payor = [{ identifier: { system: 'urn:passerelle:participant', value: insurer } }];
      }
    }
  }
  return bundle;
}

/** Re-runs a check until it passes (or throws its last failure after timeoutMs): for state written just after what a test observed. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
