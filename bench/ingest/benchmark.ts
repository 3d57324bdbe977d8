/**
 * The ingest benchmark: claims per second and latency of POST /fhir/Claim/$submit on a gateway process
 * with everything on (auth, parsing, guards, full validation, idempotency, durable write, enqueue), next
 * to a bare Express 5 server that only parses the same bundles, both loaded by autocannon from this
 * process: at the maximum rate, then at 70% of each server's own maximum. Peak resident memory and CPU
 * time of both processes are sampled from /proc during the runs. Report: report.ts; method and choices
 * (role api without a worker, the two insurers, the lanes of the fixed-rate runs) in its Method section.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deliveryQueueName } from '../../workers/jobs.js';
import { createBenchDatabase } from '../eligibility/database.js';
import {
  BENCH_REDIS_URL, clientToken, freePort, processMemory, removeQueueKeys, startGatewayProcess, startServiceProcess, type ServiceProcess,
} from '../harness/gateway-process.js';
import { loadAverage } from '../harness/machine.js';
import type { BenchContext, Benchmark, BenchmarkResult } from '../harness/types.js';
import { acceptedPerSecond, failures, latencyOf, poolRuns, runLoad, settle, watchProcess, type LoadOptions, type LoadRun, type LoadTarget } from './load.js';
import { addressedTo, bodyFor, bodyTemplate, ingestPayloads, type BodyTemplate, type IngestPayload } from './payloads.js';
import { summariseProfileFile } from './profile.js';
import {
  BARE, FIXED_RATE_SHARE, GATEWAY_CASES, LIVE, NO_ELIGIBILITY, findingsSection, ingestTables, methodSection,
  type Contender, type IngestFigures, type IngestSettings, type LoadFigures, type PayloadFigures,
} from './report.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** Defaults keep the whole run under 5 minutes; the variables shorten it for trials. */
const SETTINGS: IngestSettings = {
  connections: env('BENCH_INGEST_CONNECTIONS', 50), warmupSeconds: env('BENCH_INGEST_WARMUP_SECONDS', 3),
  maxSeconds: env('BENCH_INGEST_SECONDS', 8), maxRounds: 2, fixedSeconds: env('BENCH_INGEST_FIXED_SECONDS', 8), lanes: 10,
  profiled: Boolean(process.env.BENCH_INGEST_PROFILE), gatewayNodeArgs: (process.env.BENCH_INGEST_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean),
};
/** BENCH_INGEST_PROFILE=1 profiles the gateway into the work folder (deleted); a directory instead keeps the .cpuprofile there. */
const PROFILE_DIR = process.env.BENCH_INGEST_PROFILE && process.env.BENCH_INGEST_PROFILE !== '1' ? process.env.BENCH_INGEST_PROFILE : undefined;
const BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** The copy of demo-insurer without eligibility the benchmark registers. */
const BENCH_INSURER = 'bench-ipm';
const DEMO_INSURER = 'demo-insurer';
const CONTENDERS: readonly Contender[] = [BARE, LIVE, NO_ELIGIBILITY];

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  title: 'Claim ingest: POST /fhir/Claim/$submit under load',
  run: runIngestBenchmark,
};

/** The two server processes and what the runs share. */
interface Servers {
  readonly bare: ServiceProcess & { readonly url: string };
  readonly gateway: ServiceProcess & { readonly url: string };
  readonly token: (clientId: string) => Promise<string>;
  readonly nextId: () => string;
  /** Counts 202 answers of the gateway (to compare with the claims stored). */
  readonly accepted: { count: number };
}

async function runIngestBenchmark(context: BenchContext): Promise<BenchmarkResult> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'passerelle-bench-ingest-'));
  const database = await createBenchDatabase();
  const prefix = `bench-ingest-${randomBytes(4).toString('hex')}`;
  const profileDir = PROFILE_DIR ?? join(work, 'profile');
  const running: ServiceProcess[] = [];
  try {
    const { bare, gateway, gatewayStartMs } = await startServers(context, { databaseUrl: database.url, prefix, work, profileDir }, running);
    const memoryAtStart = { gateway: processMemory(gateway.pid)?.rssMb ?? 0, bare: processMemory(bare.pid)?.rssMb ?? 0 };
    await registerInsurerCopy(gateway.url);
    const servers: Servers = { bare, gateway, token: tokenSource(gateway.url), nextId: idSource(), accepted: { count: 0 } };
    const measured: PayloadFigures[] = [];
    for (const payload of await selectedPayloads(context.root)) measured.push(await measurePayload(context, payload, servers));

    const hwm = { gateway: processMemory(gateway.pid)?.hwmMb ?? 0, bare: processMemory(bare.pid)?.hwmMb ?? 0 };
    await settle(gateway.pid); // the last run's requests in flight, before counting what they stored
    const stored = await storedClaims(database.url, prefix);
    await Promise.all(running.map((p) => p.stop()));
    const figures: IngestFigures = {
      cores: availableParallelism(), settings: SETTINGS, payloads: measured, gatewayStartMs, accepted: servers.accepted.count, ...stored,
      memory: { gateway: { startMb: memoryAtStart.gateway, hwmMb: hwm.gateway }, bare: { startMb: memoryAtStart.bare, hwmMb: hwm.bare } },
      ...(SETTINGS.profiled ? { profile: summariseProfileFile(newestProfile(profileDir)) } : {}),
    };
    const { tables, summary } = ingestTables(figures);
    return {
      name: ingestBenchmark.name, title: ingestBenchmark.title, startedAt: started.toISOString(), durationSeconds: (Date.now() - started.getTime()) / 1000,
      summary, tables, sections: [findingsSection(figures), methodSection(figures)], data: figures,
    };
  } finally {
    await Promise.allSettled(running.map((p) => p.stop()));
    await removeQueueKeys(prefix).catch((err: Error) => context.log(`ingest: could not delete Redis keys ${prefix}:*: ${err.message}`));
    await database.drop().catch((err: Error) => context.log(`ingest: could not drop the database: ${err.message}`));
    rmSync(work, { recursive: true, force: true });
  }
}

/** Starts the bare server and the gateway (each added to `running` as soon as it runs, for the cleanup). */
async function startServers(
  context: BenchContext, stores: { databaseUrl: string; prefix: string; work: string; profileDir: string }, running: ServiceProcess[],
): Promise<{ bare: Servers['bare']; gateway: Servers['gateway']; gatewayStartMs: number }> {
  const barePort = await freePort();
  const bare = await startServiceProcess({
    name: 'bare-server', script: fileURLToPath(new URL('./bare-server.js', import.meta.url)), logDir: stores.work, ready: /listening/,
    env: { PORT: String(barePort), BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) }, url: `http://127.0.0.1:${barePort}`,
  });
  running.push(bare);
  const started = performance.now();
  const gateway = await startGatewayProcess({
    root: context.root, name: 'gateway', logDir: stores.work, env: gatewayEnv(await freePort(), stores.databaseUrl, stores.prefix, stores.work),
    nodeArgs: [...SETTINGS.gatewayNodeArgs, ...(SETTINGS.profiled ? ['--cpu-prof', '--cpu-prof-dir', stores.profileDir] : [])],
  });
  running.push(gateway);
  return { bare: bare as Servers['bare'], gateway: gateway as Servers['gateway'], gatewayStartMs: performance.now() - started };
}

/** The payloads BENCH_INGEST_PAYLOADS names (comma-separated), or all of them. */
async function selectedPayloads(root: string): Promise<IngestPayload[]> {
  const wanted = process.env.BENCH_INGEST_PAYLOADS?.split(',').map((s) => s.trim().toLowerCase());
  const all = await ingestPayloads(root);
  const payloads = all.filter((p) => !wanted || wanted.includes(p.name.toLowerCase()));
  if (payloads.length === 0) throw new Error(`BENCH_INGEST_PAYLOADS names none of: ${all.map((p) => p.name).join(', ')}`);
  return payloads;
}

/** The most recent .cpuprofile of a folder (the gateway's, written when it exited). */
function newestProfile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`No .cpuprofile in ${dir}: did the gateway exit cleanly?`);
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

/** The gateway's environment: demo mode, the API role alone, the rate limit out of the way, logs at info. */
function gatewayEnv(port: number, databaseUrl: string, prefix: string, work: string): Record<string, string> {
  return {
    PASSERELLE_MODE: 'demo', PASSERELLE_ROLE: 'api', HOST: '127.0.0.1', PORT: String(port), SANDBOX_PORT: '0', DATA_DIR: join(work, 'data'),
    DATABASE_URL: databaseUrl, REDIS_URL: BENCH_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
    RATE_LIMIT_PER_MINUTE: '100000000', TOKEN_TTL_SECONDS: '300',
  };
}

/** Registers bench-ipm through the operator API: demo-insurer's adapter, settings and packs, no eligibility. */
async function registerInsurerCopy(url: string): Promise<void> {
  const headers = { Authorization: `Bearer ${await clientToken(url, 'demo-operator')}`, 'Content-Type': 'application/json' };
  const demo = (await (await fetch(`${url}/admin/participants/${DEMO_INSURER}`, { headers })).json()) as { adapter: string; adapterSettings: unknown; profilePacks: unknown };
  const res = await fetch(`${url}/admin/participants`, {
    method: 'POST', headers,
    body: JSON.stringify({ id: BENCH_INSURER, kind: 'insurer', name: 'IPM Démo, sans éligibilité (benchmark)', adapter: demo.adapter, adapterSettings: demo.adapterSettings, profilePacks: demo.profilePacks }),
  });
  if (res.status !== 201) throw new Error(`Registering ${BENCH_INSURER} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
}

/** Tokens by client, renewed after a minute (they live five). */
function tokenSource(url: string): (clientId: string) => Promise<string> {
  const tokens = new Map<string, { token: string; at: number }>();
  return async (clientId) => {
    const held = tokens.get(clientId);
    if (held && Date.now() - held.at < 60_000) return held.token;
    const token = await clientToken(url, clientId);
    tokens.set(clientId, { token, at: Date.now() });
    return token;
  };
}

/** Claim identifiers unique to the run: a random tag and a counter. */
function idSource(): () => string {
  const tag = randomBytes(4).toString('hex');
  let next = 0;
  return () => `${tag}-${next++}`;
}

/** One contender's run under a load, with the CPU time and peak memory of its server process. */
type Measure = (c: Contender, options: LoadOptions) => Promise<{ run: LoadRun; peakRssMb: number; cpuMs: number }>;

async function measurePayload(context: BenchContext, payload: IngestPayload, servers: Servers): Promise<PayloadFigures> {
  const templates: Record<Contender, BodyTemplate> = {
    [BARE]: bodyTemplate(payload.bundle), [LIVE]: bodyTemplate(payload.bundle), [NO_ELIGIBILITY]: bodyTemplate(addressedTo(payload.bundle, BENCH_INSURER)),
  };
  const loadStart = loadAverage();
  for (const c of GATEWAY_CASES) await checkAccepted(servers, payload, templates[c], c);
  const measure: Measure = async (c, options) => {
    // Requests left in flight by the previous run must not weigh on this one.
    await settle(servers.gateway.pid);
    await settle(servers.bare.pid);
    const server = c === BARE ? servers.bare : servers.gateway;
    const target: LoadTarget = { url: `${server.url}/fhir/Claim/$submit`, token: await servers.token(payload.clientId), template: templates[c], nextId: servers.nextId };
    const watch = watchProcess(server.pid);
    const run = await runLoad(target, options);
    const used = watch.stop();
    if (c !== BARE) servers.accepted.count += run.statuses['202'] ?? 0;
    return { run, ...used };
  };

  context.log(`ingest: ${payload.name}: warm-up, ${SETTINGS.warmupSeconds} s each`);
  for (const c of CONTENDERS) await measure(c, { connections: SETTINGS.connections, durationSeconds: SETTINGS.warmupSeconds });
  context.log(`ingest: ${payload.name}: maximum rate, ${SETTINGS.maxRounds} rounds of ${SETTINGS.maxSeconds / SETTINGS.maxRounds} s each`);
  const max = await maximumRate(measure);
  context.log(`ingest: ${payload.name}: ${FIXED_RATE_SHARE * 100}% of each maximum, ${SETTINGS.fixedSeconds} s each`);
  const fixed: Partial<Record<Contender, LoadFigures>> = {};
  for (const c of CONTENDERS) {
    const rate = Math.max(1, Math.round(max[c].perSecond * FIXED_RATE_SHARE));
    const { run, peakRssMb, cpuMs } = await measure(c, { connections: SETTINGS.connections, durationSeconds: SETTINGS.fixedSeconds, overallRate: rate, lanes: SETTINGS.lanes });
    fixed[c] = figuresOf(run, rate, peakRssMb, cpuMs);
  }
  context.log(`ingest: ${payload.name}: ${CONTENDERS.map((c) => `${c} ${Math.round(max[c].perSecond)}/s`).join(', ')}`);
  return {
    name: payload.name, description: payload.description, bodyBytes: Buffer.byteLength(bodyFor(templates[LIVE], servers.nextId())), clientId: payload.clientId,
    max, fixed: fixed as Record<Contender, LoadFigures>, loadAverage: { start: loadStart, end: loadAverage() },
  };
}

/** Every contender as fast as it answers, in rounds whose order rotates; each contender's rounds pooled. */
async function maximumRate(measure: Measure): Promise<Record<Contender, LoadFigures>> {
  const runs = new Map(CONTENDERS.map((c) => [c, [] as Array<Awaited<ReturnType<Measure>>>]));
  for (let round = 0; round < SETTINGS.maxRounds; round++) {
    for (let k = 0; k < CONTENDERS.length; k++) {
      const c = CONTENDERS[(round + k) % CONTENDERS.length]!;
      runs.get(c)!.push(await measure(c, { connections: SETTINGS.connections, durationSeconds: SETTINGS.maxSeconds / SETTINGS.maxRounds }));
    }
  }
  return Object.fromEntries(CONTENDERS.map((c) => {
    const rounds = runs.get(c)!;
    return [c, figuresOf(poolRuns(rounds.map((r) => r.run)), null, Math.max(...rounds.map((r) => r.peakRssMb)), rounds.reduce((sum, r) => sum + r.cpuMs, 0))];
  })) as Record<Contender, LoadFigures>;
}

function figuresOf(run: LoadRun, askedRate: number | null, peakRssMb: number, cpuMs: number): LoadFigures {
  const latency = latencyOf(run);
  const answers = Object.values(run.statuses).reduce((sum, count) => sum + count, 0);
  return {
    askedRate, perSecond: acceptedPerSecond(run), answers, p50Ms: latency?.p50Ms ?? null, p99Ms: latency?.p99Ms ?? null,
    statuses: run.statuses, failures: failures(run), cpuMsPerAnswer: answers > 0 ? cpuMs / answers : null, peakRssMb,
  };
}

/** One claim through the gateway before the load: a 202, or the benchmark stops with the answer. */
async function checkAccepted(servers: Servers, payload: IngestPayload, template: BodyTemplate, contender: Contender): Promise<void> {
  const id = servers.nextId();
  const res = await fetch(`${servers.gateway.url}/fhir/Claim/$submit`, {
    method: 'POST', body: bodyFor(template, id),
    headers: { Authorization: `Bearer ${await servers.token(payload.clientId)}`, 'Content-Type': 'application/fhir+json', 'Idempotency-Key': id },
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`${payload.name} to ${contender} answered ${res.status} instead of 202: ${text.slice(0, 1000)}`);
  servers.accepted.count++;
}

/** Claims stored, delivery jobs waiting in BullMQ, after the runs. */
async function storedClaims(databaseUrl: string, prefix: string): Promise<{ claimsStored: number; deliveryJobsWaiting: number | null }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let claimsStored: number;
  try {
    claimsStored = Number((await client.query<{ count: string }>('select count(*) from claims')).rows[0]!.count);
  } finally {
    await client.end();
  }
  const redis = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const waiting = await Promise.all([DEMO_INSURER, BENCH_INSURER].map((id) => redis.llen(`${prefix}:${deliveryQueueName(id)}:wait`)));
    return { claimsStored, deliveryJobsWaiting: waiting.reduce((sum, count) => sum + count, 0) };
  } catch {
    return { claimsStored, deliveryJobsWaiting: null };
  } finally {
    redis.disconnect();
  }
}
