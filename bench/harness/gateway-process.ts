/**
 * Runs the gateway (or another Node script, such as a baseline server) as a process of its own, the way
 * it runs in production (`npm start`'s scripts/gateway.sh: `node` with the deployed memory settings,
 * dist/gateway/main.js), so that a benchmark measures that process alone:
 * its throughput, its memory (/proc/<pid>/status) and its CPU time (/proc/<pid>/stat). Its output goes
 * to a log file, never to a pipe the benchmark would have to drain while it generates load (a full pipe
 * would block the gateway's synchronous log writes). Readiness is a line of that log, or for a server
 * that logs nothing useful (the standalone sandbox), its URL answering.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** Redis of the benchmarks: BENCH_REDIS_URL, else TEST_REDIS_URL, else the local one. */
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A process started by a benchmark: a gateway, the sandbox insurer, a baseline server. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Its HTTP base URL, when it serves HTTP. */
  readonly url?: string;
  /** stdout and stderr. */
  readonly logFile: string;
  /** The exit code (or signal) once it has ended. */
  readonly exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once it has ended. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServiceProcessOptions {
  readonly name: string;
  /** A Node script, or with `shell`, a shell script that execs Node (so the pid stays the Node process's). */
  readonly script: string;
  readonly shell?: boolean;
  readonly args?: readonly string[];
  /** Node options before the script (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** The whole environment of the process (nothing is inherited but PATH and HOME). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The log goes to <logDir>/<name>.log. */
  readonly logDir: string;
  readonly url?: string;
  /** Ready once a line of the log matches; without it, once the URL answers HTTP at all. */
  readonly ready?: RegExp;
  readonly readyTimeoutMs?: number;
}

/** Starts a Node script and waits until it is ready; throws with the log's tail if it ends or times out first. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const logFile = join(options.logDir, `${options.name}.log`);
  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
    child = options.shell
      ? spawn('/bin/sh', [options.script, ...(options.args ?? [])], { env: { ...env, GATEWAY_NODE_ARGS: (options.nodeArgs ?? []).join(' ') }, stdio: ['ignore', out, out] })
      : spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], { env, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const handle: ServiceProcess = { name: options.name, pid: child.pid!, url: options.url, logFile, exited, stop: stopper(child, exited) };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let ended: number | string | null | undefined;
  void exited.then((code) => { ended = code; });
  const ready = options.ready;
  if (!ready && !options.url) throw new Error(`${options.name}: give a ready pattern or a URL`);
  while (!(ready ? ready.test(readLog(logFile)) : await answers(options.url!))) {
    if (ended !== undefined || Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${options.name} ${ended !== undefined ? `ended (${ended})` : 'was not ready in time'}; its log ends with:\n${logTail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return handle;
}

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(1000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function stopper(child: ChildProcess, exited: Promise<unknown>): (graceMs?: number) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (graceMs = 25_000) => (stopping ??= (async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  })());
}

function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 30): string {
  return readLog(file).trimEnd().split('\n').slice(-lines).join('\n');
}

export interface GatewayProcessOptions {
  readonly root: string;
  readonly name: string;
  readonly logDir: string;
  /**
   * The gateway's whole environment (gateway/config.ts): PASSERELLE_ROLE, HOST, PORT, DATABASE_URL,
   * REDIS_URL, QUEUE_PREFIX... API roles need a PORT of their own (freePort); a worker-only process
   * is known to be ready by its "Passerelle started" log line, so it needs LOG_LEVEL info or lower.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly nodeArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

/**
 * Starts a gateway as `npm start` does, scripts/gateway.sh (after checking dist is built from the current
 * sources); GATEWAY_HEAP_MB in options.env changes its heap cap, nodeArgs go to Node. An API
 * process is ready when main.js says it listens: after start-up is complete, demo participants included.
 */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<ServiceProcess> {
  assertBuilt(options.root);
  const api = (options.env.PASSERELLE_ROLE ?? 'all') !== 'worker';
  if (api && (!options.env.PORT || options.env.PORT === '0')) throw new Error(`${options.name}: an API process needs a PORT (freePort())`);
  return startServiceProcess({
    name: options.name, script: join(options.root, 'scripts', 'gateway.sh'), shell: true, nodeArgs: options.nodeArgs, env: options.env, logDir: options.logDir,
    url: api ? `http://${options.env.HOST ?? '127.0.0.1'}:${options.env.PORT}` : undefined,
    ready: api ? /Passerelle is listening on/ : /Passerelle started/, readyTimeoutMs: options.readyTimeoutMs,
  });
}

/** Starts the sandbox insurer on its own (`node dist/sandbox/main.js`); SANDBOX_PORT must be set (freePort()). */
export async function startSandboxProcess(options: Omit<GatewayProcessOptions, 'nodeArgs'>): Promise<ServiceProcess> {
  if (!options.env.SANDBOX_PORT || options.env.SANDBOX_PORT === '0') throw new Error(`${options.name}: the sandbox needs a SANDBOX_PORT (freePort())`);
  const url = `http://${options.env.SANDBOX_HOST ?? '127.0.0.1'}:${options.env.SANDBOX_PORT}`;
  return startServiceProcess({
    name: options.name, script: join(options.root, 'dist', 'sandbox', 'main.js'), env: options.env, logDir: options.logDir, url, readyTimeoutMs: options.readyTimeoutMs,
  });
}

/** Throws unless dist/gateway/main.js is newer than every TypeScript source it is built from. */
export function assertBuilt(root: string): void {
  const main = join(root, 'dist', 'gateway', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const built = statSync(main).mtimeMs;
  const newer = ['gateway', 'workers', 'mappings', 'sandbox'].flatMap((dir) => sources(join(root, dir))).find((file) => statSync(file).mtimeMs > built);
  if (newer) throw new Error(`${newer} is newer than ${main}: run npm run build first`);
}

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** An access token by client credentials (demo clients' secrets are `<clientId>-secret`). */
export async function clientToken(url: string, clientId: string, secret = `${clientId}-secret`): Promise<string> {
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`No token for ${clientId} (HTTP ${res.status}): ${JSON.stringify(body).slice(0, 300)}`);
  return body.access_token;
}

/** Deletes every Redis key under a queue prefix (queues, rate limits, eligibility cache). */
export async function removeQueueKeys(prefix: string, redisUrl = BENCH_REDIS_URL): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) removed += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/** Resident memory of a process now and its peak so far (VmRSS, VmHWM), in MiB; undefined once it has ended. */
export function processMemory(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU time a process has used so far (user + system), in ms; undefined once it has ended. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on Linux x86 and arm. */
const CLOCK_TICKS_PER_SECOND = 100;
