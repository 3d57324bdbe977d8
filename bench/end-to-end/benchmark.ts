/**
 * The end-to-end benchmark: claims/s from POST /fhir/Claim/$submit to the insurer's ClaimResponse
 * stored, on real gateway processes, PostgreSQL, Redis and the sandbox insurer (target: at least half
 * of bare BullMQ's add-and-process rate for as many jobs, measured in the same run), in one process
 * (role all) and in an API process plus a worker process; then scale-out: ingest alone with one and two
 * API processes (autocannon), and delivery alone by one worker process on the backlog they left.
 * Method and guidance are written out in report.ts.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchContext, Benchmark, BenchmarkResult } from '../harness/types.js';
import { BENCH_REDIS_URL, type ServiceProcess } from '../harness/gateway-process.js';
import { summarise } from '../harness/measure.js';
import { ANSWERED, answerLatencies, databaseSpanMs, insurerResponseCount, phaseProgress, sampleClaimIds, waitForSettled } from './answers.js';
import { bareBullmq } from './baseline.js';
import { claimTemplate, type ClaimTemplate } from './claims.js';
import { measureCpu } from './cpu.js';
import { profileParts, readProfileOf } from './profile.js';
import { INSURER_ID, PROVIDER_ID, openDeployment, type Deployment } from './deployment.js';
import { runLoad } from './load.js';
import {
  cpuSection, endToEndTables, findingsSection, latencySection, methodSection, profileSection, scaleOutSection,
  type DrainRun, type EndToEndFigures, type EndToEndRun, type IngestRun, type MeteredBareRun, type Topology,
} from './report.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}

/** Claims of each end-to-end run; the report says how many. */
const CLAIMS = setting('BENCH_E2E_CLAIMS', 2000);
const WARMUP_CLAIMS = setting('BENCH_E2E_WARMUP_CLAIMS', 200);
const CONNECTIONS = setting('BENCH_E2E_CONNECTIONS', 20);
/** The gateway's default DELIVERY_CONCURRENCY, and the bare worker's concurrency. */
const DELIVERY_CONCURRENCY = setting('BENCH_E2E_CONCURRENCY', 20);
const INGEST_SECONDS = setting('BENCH_E2E_INGEST_SECONDS', 10);
const INGEST_WARMUP_SECONDS = 2;
const REDIS_URL = BENCH_REDIS_URL;
const CPU_PROFILE_DIR = process.env.BENCH_E2E_CPU_PROF ? resolve(process.env.BENCH_E2E_CPU_PROF) : undefined;
const POLL_MS = 100;
const STALL_MS = 30_000;
const API_CHECKS = 10;
const SYSTEM = 'urn:passerelle-bench:end-to-end';

export const endToEndBenchmark: Benchmark = {
  name: 'end-to-end',
  title: 'End to end: submission to insurer answer, and scale-out',
  run: runEndToEndBenchmark,
};

async function runEndToEndBenchmark(context: BenchContext): Promise<BenchmarkResult> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'passerelle-bench-e2e-'));
  if (CPU_PROFILE_DIR) mkdirSync(CPU_PROFILE_DIR, { recursive: true });
  const deployment = await openDeployment({
    root: context.root, work, redisUrl: REDIS_URL, deliveryConcurrency: DELIVERY_CONCURRENCY, log: context.log,
    ...(CPU_PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] } : {}),
  });
  let failed = true;
  try {
    const figures = await measure(context, deployment);
    const { tables, summary } = endToEndTables(figures);
    failed = false;
    return {
      name: endToEndBenchmark.name, title: endToEndBenchmark.title, startedAt: started.toISOString(),
      durationSeconds: (Date.now() - started.getTime()) / 1000, summary, tables,
      sections: [latencySection(figures), findingsSection(figures), cpuSection(figures), ...(figures.profiles ? [profileSection(figures.profiles)] : []), methodSection(figures), scaleOutSection()],
      data: figures,
    };
  } finally {
    await deployment.close();
    // The processes' logs are kept when something went wrong.
    if (failed) context.log(`end-to-end: logs kept in ${join(work, 'logs')}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

async function measure(context: BenchContext, deployment: Deployment): Promise<EndToEndFigures> {
  const runId = Date.now().toString(36);
  const template = (phase: string) => claimTemplate({ providerId: PROVIDER_ID, insurerId: INSURER_ID, identifierSystem: `${SYSTEM}:${phase}`, runId, now: new Date() });
  const bare: MeteredBareRun[] = [];
  // Redis and the benchmark process do the bare queue's work; the other sources idle meanwhile.
  const metered = async (jobs: number, preload: boolean): Promise<MeteredBareRun> => {
    const { result, cpu } = await measureCpu(() => deployment.cpuSources([]),
      () => bareBullmq({ redisUrl: REDIS_URL, prefix: deployment.queuePrefix, jobs, concurrency: DELIVERY_CONCURRENCY, preload }));
    return { ...result, cpu };
  };
  const bareRun = async () => {
    context.log(`end-to-end: bare BullMQ, ${CLAIMS} jobs, concurrency ${DELIVERY_CONCURRENCY}`);
    bare.push(await metered(CLAIMS, false));
  };

  const runs: EndToEndRun[] = [];
  for (const topology of ['all', 'split'] as const) {
    await bareRun();
    runs.push(await endToEnd(context, deployment, topology, template));
  }
  await bareRun();
  const ingest = await ingestRuns(context, deployment, template);
  const drain = await drainRun(context, deployment);
  context.log(`end-to-end: bare BullMQ, ${drain.backlog} jobs waiting`);
  const bareBacklog = drain.backlog > 0
    ? await metered(drain.backlog, true)
    : null;
  return {
    claims: CLAIMS, warmupClaims: WARMUP_CLAIMS, connections: CONNECTIONS, deliveryConcurrency: DELIVERY_CONCURRENCY, cores: availableParallelism(),
    bodyBytes: template('size').bytes, pollMs: POLL_MS, ingestSeconds: INGEST_SECONDS, ingestWarmupSeconds: INGEST_WARMUP_SECONDS,
    runs, bare, ingest, drain: drain.backlog > 0 ? drain : null, bareBacklog,
    ...(CPU_PROFILE_DIR ? { cpuProfileDir: CPU_PROFILE_DIR, profiles: profiles(deployment, CPU_PROFILE_DIR) } : {}),
  };
}

const submitUrl = (api: ServiceProcess) => `${api.url}/fhir/Claim/$submit`;
const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' });

/** One deployment from first submission to last answer (see report.ts, Method). */
async function endToEnd(context: BenchContext, deployment: Deployment, topology: Topology, template: (phase: string) => ClaimTemplate): Promise<EndToEndRun> {
  context.log(`end-to-end: ${topology}: starting processes`);
  const parts: Array<readonly [string, ServiceProcess]> = topology === 'all'
    ? [['gateway, role all', await deployment.startGateway('all', 'e2e-all')]]
    : [['gateway worker', await deployment.startGateway('worker', 'e2e-split-worker')], ['gateway API', await deployment.startGateway('api', 'e2e-split-api')]];
  const processes = parts.map(([, p]) => p);
  try {
    const api = processes.find((p) => p.url)!;
    const token = await deployment.providerToken(api);
    const warmup = template(`${topology}:warmup`);
    context.log(`end-to-end: ${topology}: warm-up, ${WARMUP_CLAIMS} claims`);
    const warm = await runLoad({ urls: [submitUrl(api)], connections: CONNECTIONS, amount: WARMUP_CLAIMS, headers: headers(token), body: warmup.body });
    if (warm.accepted === 0) throw new Error(`${topology}: no warm-up claim was accepted: ${JSON.stringify(warm.statusCounts)}; see ${api.logFile}`);
    await waitForSettled(deployment.db, warmup.identifierSystem, { expected: warm.accepted, pollMs: POLL_MS, stallMs: STALL_MS });

    const claims = template(topology);
    context.log(`end-to-end: ${topology}: ${CLAIMS} claims, ${CONNECTIONS} connections`);
    const started = performance.now();
    const { result: { load, settled }, cpu } = await measureCpu(() => deployment.cpuSources(parts), async () => {
      const { nextIndex: _next, ...submitted } = await runLoad({ urls: [submitUrl(api)], connections: CONNECTIONS, amount: CLAIMS, headers: headers(token), body: claims.body });
      return { load: submitted, settled: await waitForSettled(deployment.db, claims.identifierSystem, { expected: submitted.accepted, pollMs: POLL_MS, stallMs: STALL_MS }) };
    });
    const totalMs = settled.at - started;
    const latencies = await answerLatencies(deployment.db, claims.identifierSystem);
    const run: EndToEndRun = {
      topology, load, totalMs, claimsPerSecond: settled.progress.answered / (totalMs / 1000), progress: settled.progress, stalled: settled.stalled, cpu,
      insurerResponses: await insurerResponseCount(deployment.db, claims.identifierSystem),
      answerLatency: latencies.length > 0 ? summarise(latencies) : null,
      databaseSpanMs: await databaseSpanMs(deployment.db, claims.identifierSystem),
      apiCheck: await readAnswersBack(deployment, api, token, claims.identifierSystem),
    };
    context.log(`end-to-end: ${topology}: ${run.claimsPerSecond.toFixed(0)} claims/s end to end, ${load.acceptedPerSecond.toFixed(0)} claims/s accepted`);
    return run;
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

/** Reads a few claims' answers through GET /fhir/ClaimResponse?request=Claim/{id}: the pull a provider makes. */
async function readAnswersBack(deployment: Deployment, api: ServiceProcess, token: string, identifierSystem: string): Promise<{ checked: number; answered: number }> {
  const ids = await sampleClaimIds(deployment.db, identifierSystem, API_CHECKS);
  let answered = 0;
  for (const id of ids) {
    const res = await fetch(`${api.url}/fhir/ClaimResponse?request=Claim/${id}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
    if (!res.ok) continue;
    const bundle = (await res.json()) as { entry?: Array<{ resource?: { outcome?: string } }> };
    if (bundle.entry?.some((e) => (ANSWERED as readonly string[]).includes(e.resource?.outcome ?? ''))) answered++;
  }
  return { checked: ids.length, answered };
}

/** Ingest with one API process, then two (no worker running). */
async function ingestRuns(context: BenchContext, deployment: Deployment, template: (phase: string) => ClaimTemplate): Promise<IngestRun[]> {
  const apis: ServiceProcess[] = [];
  const runs: IngestRun[] = [];
  const warmup = template('ingest:warmup');
  let warmupIndex = 0;
  try {
    for (const count of [1, 2]) {
      context.log(`end-to-end: ingest, ${count} API process${count > 1 ? 'es' : ''}`);
      apis.push(await deployment.startGateway('api', `ingest-api-${count}`));
      const token = await deployment.providerToken(apis[0]!);
      const urls = apis.map(submitUrl);
      warmupIndex = (await runLoad({ urls, connections: CONNECTIONS, durationSeconds: INGEST_WARMUP_SECONDS, headers: headers(token), body: warmup.body, firstIndex: warmupIndex })).nextIndex;
      const claims = template(`ingest:${count}`);
      const { result: { nextIndex: _next, ...load }, cpu } = await measureCpu(() => deployment.cpuSources(apis.map((p) => ['gateway API', p] as const)),
        () => runLoad({ urls, connections: CONNECTIONS, durationSeconds: INGEST_SECONDS, headers: headers(token), body: claims.body }));
      const stored = (await phaseProgress(deployment.db, claims.identifierSystem)).total;
      runs.push({ processes: count, load, stored, cpu });
      context.log(`end-to-end: ingest, ${count} API process(es): ${load.acceptedPerSecond.toFixed(0)} claims/s`);
    }
  } finally {
    await Promise.all(apis.map((p) => p.stop()));
  }
  return runs;
}

/** One worker process on the claims the ingest runs left waiting. */
async function drainRun(context: BenchContext, deployment: Deployment): Promise<DrainRun> {
  const before = await phaseProgress(deployment.db, null);
  const backlog = before.total - before.settled;
  context.log(`end-to-end: delivery alone, ${backlog} claims waiting`);
  const spawned = performance.now();
  const worker = await deployment.startGateway('worker', 'drain-worker');
  try {
    const ready = performance.now();
    const atReady = await phaseProgress(deployment.db, null);
    const { result: settled, cpu } = await measureCpu(() => deployment.cpuSources([['gateway worker', worker]]),
      () => waitForSettled(deployment.db, null, { expected: before.total, pollMs: POLL_MS, stallMs: STALL_MS }));
    const settledWhileTimed = settled.progress.settled - atReady.settled;
    const ms = settled.at - ready;
    return { backlog, settledWhileTimed, ms, perSecond: settledWhileTimed / (ms / 1000), progress: settled.progress, stalled: settled.stalled, startupMs: ready - spawned, cpu };
  } finally {
    await worker.stop();
  }
}

/** The parts of each gateway process's CPU profile (written when it stopped), by process name. */
function profiles(deployment: Deployment, dir: string): Array<{ process: string; parts: Record<string, number> }> {
  return deployment.gateways().flatMap((gateway) => {
    const profile = readProfileOf(dir, gateway.pid);
    return profile ? [{ process: gateway.name, parts: profileParts(profile) }] : [];
  });
}
