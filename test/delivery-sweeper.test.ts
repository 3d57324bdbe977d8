/**
 * The last safety net: when Redis loses a claim's delivery job (restart without persistence, flush),
 * the delivery sweeper adds it again and the claim is delivered once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import type { Claim } from '@medplum/fhirtypes';
import { loadConfig } from '../gateway/config.js';
import { createLogger } from '../gateway/logger.js';
import { answers, freePort } from '../gateway/queue/redis.js';
import { startPasserelle, type Passerelle } from '../gateway/runtime.js';
import { claimBundle, createTestDatabase, eventually, processingStatus } from './harness.js';

let redis: ChildProcess;
let redisUrl: string;
beforeAll(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redisUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await answers(redisUrl)); i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(() => {
  redis.kill('SIGKILL');
});

describe('delivery sweeper', () => {
  it('queues again a claim whose job Redis lost, and it is delivered once', async () => {
    const database = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-sweep-'));
    const env = {
      DATABASE_URL: database.url, REDIS_URL: redisUrl, QUEUE_PREFIX: `ptest-${randomBytes(4).toString('hex')}`, DATA_DIR: dataDir,
      PORT: '0', SANDBOX_PORT: '0', DELIVERY_BACKOFF_MS: '50', OUTBOX_RELAY_INTERVAL_MS: '100', DELIVERY_SWEEP_AFTER_MS: '300', LOG_LEVEL: 'silent',
    };
    const logger = createLogger('silent');
    const api = await startPasserelle(loadConfig({ ...env, PASSERELLE_ROLE: 'api' }), { logger });
    let worker: Passerelle | undefined;
    try {
      const token = ((await (await fetch(`${api.url}/auth/token`, {
        method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret' }),
      })).json()) as { access_token: string }).access_token;
      const headers = { Authorization: `Bearer ${token}` };
      const answer = await fetch(`${api.url}/fhir/Claim/$submit`, {
        method: 'POST', headers: { ...headers, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(claimBundle()),
      });
      expect(answer.status).toBe(202);
      const location = answer.headers.get('location')!;
      const claimId = location.split('/Claim/')[1]!;
      expect(processingStatus((await (await fetch(location, { headers })).json()) as Claim)).toBe('queued');
      const flush = new Redis(redisUrl);
      await flush.flushall(); // the job is gone; only PostgreSQL knows the claim
      flush.disconnect();
      worker = await startPasserelle(loadConfig({ ...env, PASSERELLE_ROLE: 'worker' }), { logger });
      await eventually(async () => {
        expect(processingStatus((await (await fetch(location, { headers })).json()) as Claim)).toBe('complete');
      }, 20_000);
      const stats = await (await fetch(`${api.sandbox!.url}/_control/stats`)).json() as { adjudicated: Record<string, number> };
      expect(stats.adjudicated[claimId]).toBe(1);
    } finally {
      await worker?.close();
      await api.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
