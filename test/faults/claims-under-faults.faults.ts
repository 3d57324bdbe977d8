/**
 * Proof that nothing accepted is lost (npm run test:faults). Claims go through two API processes and
 * two worker processes of the built gateway, against the standalone sandbox insurer, while API and
 * worker processes are SIGKILLed at random moments, Redis is killed and restarted once, and the insurer
 * fails and hangs for a while. Then: every claim that got a 202 reached the insurer exactly once (the
 * sandbox counts adjudications per idempotency key) and has a final ClaimResponse, and no claim was
 * accepted twice. FAULT_CLAIMS sets the count (default 300, the short form CI runs; the full run is 2000).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret } from '../../gateway/auth/secrets.js';
import { freePort } from '../../gateway/queue/redis.js';
import { claimBundle, createTestDatabase } from '../harness.js';
import { gatewayProcess, redisProcess, sandboxProcess, type Managed } from './processes.js';

const CLAIMS = Number(process.env.FAULT_CLAIMS ?? 300);
const CONCURRENCY = 16;
const PACE_MS = 15_000;
const FINAL = ['complete', 'partial', 'error'];
const providers = ['demo-clinic', 'demo-hospital'] as const;
const insurers = [{ id: 'demo-insurer', prefix: 'M' }, { id: 'demo-mutuelle', prefix: 'C' }] as const;

interface Run {
  readonly apis: string[];
  readonly sandboxUrl: string;
  tokens: Map<string, { token: string; at: number }>;
}

/** A seed for production mode: the demo participants, pointing at the standalone sandbox, with hashed secrets. */
async function writeSeed(dir: string, sandboxUrl: string): Promise<string> {
  const client = async (id: string) => [{ clientId: id, secretHash: await hashSecret(`${id}-secret`) }];
  const seed = {
    participants: [
      ...await Promise.all(providers.map(async (id) => ({ id, kind: 'provider', name: id, clients: await client(id) }))),
      ...await Promise.all(insurers.map(async ({ id }) => ({
        id, kind: 'insurer', name: id, adapter: 'fhir', adapterSettings: { baseUrl: `${sandboxUrl}/${id}/fhir`, timeoutMs: 1000 }, clients: await client(id),
      }))),
    ],
  };
  const file = join(dir, 'seed.json');
  writeFileSync(file, JSON.stringify(seed));
  return file;
}

async function token(run: Run, api: string, clientId: string): Promise<string> {
  const key = `${api}|${clientId}`;
  const cached = run.tokens.get(key);
  if (cached && Date.now() - cached.at < 60_000) return cached.token;
  const res = await fetch(`${api}/auth/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: `${clientId}-secret` }),
  });
  if (!res.ok) throw new Error(`token: HTTP ${res.status}`);
  const value = ((await res.json()) as { access_token: string }).access_token;
  run.tokens.set(key, { token: value, at: Date.now() });
  return value;
}

/** Submits one claim as a careful client would: on a network error or a 5xx, the same body again, on any API. */
async function submit(run: Run, index: number): Promise<{ identifier: string; claimId: string; attempts: number }> {
  const provider = providers[index % 2]!;
  const insurer = insurers[Math.floor(index / 2) % 2]!;
  const identifier = `fault-${randomUUID()}`;
  const member = `${insurer.prefix}${String(1 + (index % 900)).padStart(4, '0')}`;
  const body = JSON.stringify(claimBundle(undefined, { identifier, provider, insurer: insurer.id, member }));
  for (let attempt = 1; attempt <= 60; attempt++) {
    const api = run.apis[(index + attempt) % run.apis.length]!;
    try {
      const res = await fetch(`${api}/fhir/Claim/$submit`, {
        method: 'POST', body, signal: AbortSignal.timeout(10_000),
        headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${await token(run, api, provider)}` },
      });
      await res.arrayBuffer();
      if (res.status === 202) return { identifier, claimId: res.headers.get('location')!.split('/Claim/')[1]!, attempts: attempt };
      if (res.status < 500 && res.status !== 401) throw new Error(`claim ${index}: HTTP ${res.status}`);
    } catch (err) {
      if ((err as Error).message.startsWith(`claim ${index}:`)) throw err;
    }
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
  }
  throw new Error(`claim ${index} was never accepted`);
}

/** Submits every claim, paced over at least PACE_MS so the faults land while claims flow. */
async function submitAll(run: Run) {
  const accepted: Array<{ identifier: string; claimId: string; attempts: number }> = [];
  const begin = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CLAIMS) {
      const index = next++;
      const due = begin + (index * PACE_MS) / CLAIMS;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      accepted.push(await submit(run, index));
    }
  }));
  return accepted;
}

/**
 * The faults, on a timeline that always runs in full while the claims are being submitted: each API
 * and each worker SIGKILLed and restarted, Redis killed and restarted once, the insurer failing (503)
 * and hanging; then random kills for as long as submissions go on.
 */
async function chaos(processes: { apis: Managed[]; workers: Managed[]; redis: Managed }, sandboxUrl: string, submitting: Promise<unknown>) {
  let submitted = false;
  void submitting.finally(() => (submitted = true));
  const fault = async (rule: object) => {
    await fetch(`${sandboxUrl}/_control/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rule) });
  };
  const [api1, api2] = processes.apis;
  const [worker1, worker2] = processes.workers;
  const timeline: Array<() => Promise<unknown>> = [
    () => api1!.restart(),
    () => fault({ status: 503, count: 25 }),
    () => worker1!.restart(),
    () => processes.redis.restart(),
    () => api2!.restart(),
    () => fault({ status: 503, count: 4, hangMs: 3000 }),
    () => worker2!.restart(),
  ];
  const pause = () => new Promise((r) => setTimeout(r, 600 + Math.random() * 600));
  for (const step of timeline) {
    await pause();
    await step();
  }
  const pool = [...processes.apis, ...processes.workers];
  while (!submitted) {
    await pause();
    await pool[Math.floor(Math.random() * pool.length)]!.restart();
  }
}

describe('claims under faults', () => {
  it(`delivers each of ${CLAIMS} accepted claims exactly once through crashes, a Redis restart and insurer failures`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-faults-'));
    const database = await createTestDatabase();
    const [redisPort, sandboxPort, apiPort1, apiPort2] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    const apis = [`http://127.0.0.1:${apiPort1}`, `http://127.0.0.1:${apiPort2}`];
    const redis = redisProcess(redisPort!, dir, dir);
    const common = {
      PASSERELLE_MODE: 'production', CLIENT_SECRETS_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: '10000000', DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${redisPort}`, QUEUE_PREFIX: 'faults',
      SEED_FILE: await writeSeed(dir, sandboxUrl), DATA_DIR: dir, LOG_LEVEL: 'warn', DELIVERY_ATTEMPTS: '30', DELIVERY_BACKOFF_MS: '100',
      DELIVERY_TIMEOUT_MS: '1000', OUTBOX_RELAY_INTERVAL_MS: '500', DELIVERY_SWEEP_AFTER_MS: '5000',
    };
    const apiProcesses = apis.map((url, i) => gatewayProcess(`api-${i + 1}`, { ...common, PASSERELLE_ROLE: 'api', PORT: url.split(':')[2] }, dir, url));
    const workerProcesses = [1, 2].map((i) => gatewayProcess(`worker-${i}`, { ...common, PASSERELLE_ROLE: 'worker' }, dir));
    const sandbox = sandboxProcess({ SANDBOX_PORT: String(sandboxPort), SANDBOX_GATEWAY_URL: apis[0], SANDBOX_CONTROL: 'true', LOG_LEVEL: 'warn' }, dir, sandboxUrl);
    const all = [...apiProcesses, ...workerProcesses, sandbox, redis];
    const started = Date.now();
    try {
      await redis.start();
      await sandbox.start();
      await apiProcesses[0]!.start(); // seeds and migrates first; the others find it done
      await Promise.all([apiProcesses[1]!.start(), ...workerProcesses.map((w) => w.start())]);

      const run: Run = { apis, sandboxUrl, tokens: new Map() };
      const submitting = submitAll(run);
      await chaos({ apis: apiProcesses, workers: workerProcesses, redis }, sandboxUrl, submitting);
      const accepted = await submitting;

      const { default: pg } = await import('pg');
      const db = new pg.Client({ connectionString: database.url });
      await db.connect();
      try {
        const deadline = Date.now() + 240_000;
        let open = Infinity;
        while (open > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 1000));
          open = (await db.query<{ n: number }>(`select count(*)::int as n from claims where status not in ('complete', 'partial', 'error', 'failed')`)).rows[0]!.n;
        }
        const stats = (await (await fetch(`${sandboxUrl}/_control/stats`)).json()) as { adjudicated: Record<string, number>; faultsServed: number };
        const claims = (await db.query<{ id: string; identifier_value: string; status: string; answers: number }>(
          `select c.id, c.identifier_value, c.status,
             (select count(*)::int from claim_responses r where r.claim_id = c.id and r.source = 'insurer' and r.outcome <> 'queued') as answers
           from claims c`)).rows;
        const byId = new Map(claims.map((c) => [c.id, c]));
        const notExactlyOnce = accepted.filter((a) => stats.adjudicated[a.claimId] !== 1);
        const notFinal = accepted.filter((a) => !FINAL.includes(byId.get(a.claimId)?.status ?? '') || byId.get(a.claimId)!.answers < 1);
        const identifiers = new Set(accepted.map((a) => a.identifier));
        const summary = {
          claimsSubmitted: CLAIMS, accepted202: accepted.length, claimRows: claims.length, distinctIdentifiers: identifiers.size,
          resubmissions: accepted.reduce((n, a) => n + a.attempts - 1, 0),
          adjudicatedExactlyOnce: accepted.length - notExactlyOnce.length, notExactlyOnce: notExactlyOnce.length,
          withFinalClaimResponse: accepted.length - notFinal.length, withoutFinalAnswer: notFinal.length,
          insurerFaultsServed: stats.faultsServed, restarts: Object.fromEntries(all.map((p) => [p.name, p.restarts])),
          seconds: Math.round((Date.now() - started) / 1000),
        };
        process.stdout.write(`\nfault run: ${JSON.stringify(summary, null, 2)}\n`);
        expect(accepted).toHaveLength(CLAIMS);
        expect(claims).toHaveLength(CLAIMS); // nothing accepted twice
        expect(identifiers.size).toBe(CLAIMS);
        expect(notExactlyOnce.map((a) => [a.claimId, stats.adjudicated[a.claimId]])).toEqual([]);
        expect(notFinal.map((a) => [a.claimId, byId.get(a.claimId)?.status])).toEqual([]);
        expect(stats.faultsServed).toBeGreaterThan(0);
        expect(redis.restarts).toBe(1);
        for (const p of [...apiProcesses, ...workerProcesses]) expect(p.restarts).toBeGreaterThanOrEqual(1);
      } finally {
        await db.end();
      }
    } finally {
      for (const p of all) await p.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
