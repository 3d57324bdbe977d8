/**
 * The load generator: autocannon (in this process) POSTing claim bodies with a fixed number of
 * connections, for a number of requests or a duration. With several target URLs (several API
 * processes and no load balancer in front), one autocannon instance per URL runs at the same time with
 * its share of the connections and requests, and the results are summed; every instance takes its
 * bodies from one counter, so claim numbers never repeat. Each response's latency is kept, so the
 * percentiles of several instances are those of all their responses together.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { summarise, type Timing } from '../harness/measure.js';

interface AutocannonRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}

interface AutocannonOptions {
  readonly url: string;
  readonly connections: number;
  readonly amount?: number;
  readonly duration?: number;
  readonly timeout: number;
  readonly requests: AutocannonRequest[];
}

interface AutocannonResult {
  readonly errors: number;
  readonly timeouts: number;
  readonly start: Date;
  readonly finish: Date;
}

type Autocannon = (options: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void) => EventEmitter;

// autocannon ships no types; this is the part of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadOptions {
  /** Full URLs, path included (autocannon ignores a separate path); connections and requests are shared out among them. */
  readonly urls: readonly string[];
  /** Connections in all. */
  readonly connections: number;
  /** Requests in all; or durationSeconds. */
  readonly amount?: number;
  readonly durationSeconds?: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Body of request number i (counted over every instance); firstIndex is the first number used. */
  readonly body: (i: number) => string;
  readonly firstIndex?: number;
}

/** What one autocannon instance saw. */
export interface LoadPart {
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationMs: number;
  /** Latency of each response, in ms. */
  readonly latencies: readonly number[];
}

/** What the load saw, all instances together. */
export interface LoadResult {
  readonly responses: number;
  /** Responses with a 2xx status. */
  readonly accepted: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  /** The longest instance's duration. */
  readonly durationMs: number;
  /** 2xx responses per second over durationMs. */
  readonly acceptedPerSecond: number;
  /** Latency of every response; null when there was none. */
  readonly latency: Timing | null;
  /** The next unused request number. */
  readonly nextIndex: number;
}

/** Runs the load (see the module comment). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.urls.length === 0) throw new Error('No target URL');
  if ((options.amount === undefined) === (options.durationSeconds === undefined)) throw new Error('Give amount or durationSeconds');
  if (options.connections < options.urls.length) throw new Error(`${options.connections} connections cannot share ${options.urls.length} targets`);
  let next = options.firstIndex ?? 0;
  const take = () => options.body(next++);
  const parts = await Promise.all(options.urls.map((url, k) => {
    const connections = share(options.connections, options.urls.length, k);
    if (options.amount === undefined) return runOne(url, { connections, duration: options.durationSeconds! }, options.headers, take);
    const amount = share(options.amount, options.urls.length, k);
    // A connection without a request of its own would never finish.
    return amount > 0 ? runOne(url, { connections: Math.min(connections, amount), amount }, options.headers, take) : Promise.resolve(EMPTY_PART);
  }));
  return { ...combineLoads(parts), nextIndex: next };
}

const EMPTY_PART: LoadPart = { statusCounts: {}, errors: 0, timeouts: 0, durationMs: 0, latencies: [] };

/** Part k of n of a total, the remainder going to the first parts. */
export function share(total: number, n: number, k: number): number {
  return Math.floor(total / n) + (k < total % n ? 1 : 0);
}

/** Sums the parts: counts added, the longest duration, every latency. */
export function combineLoads(parts: readonly LoadPart[]): Omit<LoadResult, 'nextIndex'> {
  const statusCounts: Record<string, number> = {};
  for (const part of parts) for (const [status, n] of Object.entries(part.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + n;
  const responses = Object.values(statusCounts).reduce((sum, n) => sum + n, 0);
  const accepted = Object.entries(statusCounts).filter(([status]) => status.startsWith('2')).reduce((sum, [, n]) => sum + n, 0);
  const durationMs = Math.max(0, ...parts.map((p) => p.durationMs));
  const latencies = parts.flatMap((p) => p.latencies);
  return {
    responses, accepted, statusCounts, durationMs,
    errors: parts.reduce((sum, p) => sum + p.errors, 0), timeouts: parts.reduce((sum, p) => sum + p.timeouts, 0),
    acceptedPerSecond: durationMs > 0 ? accepted / (durationMs / 1000) : 0,
    latency: latencies.length > 0 ? summarise(latencies) : null,
  };
}

function runOne(url: string, size: { connections: number; amount?: number; duration?: number }, headers: Readonly<Record<string, string>>, take: () => string): Promise<LoadPart> {
  return new Promise((resolve, reject) => {
    const statusCounts: Record<string, number> = {};
    const latencies: number[] = [];
    const request: AutocannonRequest = { method: 'POST', headers: { ...headers }, setupRequest: (req) => ({ ...req, body: take() }) };
    const started = performance.now();
    const instance = autocannon({ url, ...size, timeout: 30, requests: [request] }, (err, result) => {
      if (err) {
        reject(err);
        return;
      }
      resolve({ statusCounts, errors: result.errors, timeouts: result.timeouts, durationMs: performance.now() - started, latencies });
    });
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      latencies.push(responseTime);
    });
  });
}
