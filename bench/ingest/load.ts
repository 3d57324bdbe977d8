/**
 * HTTP load on POST /fhir/Claim/$submit with autocannon, run in the benchmark's process: as fast as the
 * server answers (a fixed number of connections for a fixed duration), or at a fixed overall rate.
 * Every response is timed on its own (autocannon's response event, in fractional milliseconds) and its
 * status counted, so latency percentiles come from the harness's `summarise` and a run with any answer
 * but 202 is known.
 *
 * autocannon paces a fixed rate per second and per connection: each connection sends its share of the
 * second back to back, then waits for the next second. All connections start together, so a single
 * instance turns a steady rate into a burst at the start of every second, with every connection in
 * flight. A fixed-rate run is therefore split into lanes: several instances, each with its share of the
 * rate and of the connections, started evenly spread over the first second, so their bursts interleave.
 */
import autocannon from 'autocannon';
import { summarise, type Timing } from '../harness/measure.js';
import { processCpuMs, processMemory } from '../harness/gateway-process.js';
import { bodyFor, type BodyTemplate } from './payloads.js';

/** What to post. */
export interface LoadTarget {
  /** The full URL of the operation. */
  readonly url: string;
  readonly token: string;
  readonly template: BodyTemplate;
  /** A new identifier each call (Claim.identifier value and Idempotency-Key). */
  readonly nextId: () => string;
}

export interface LoadOptions {
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  readonly overallRate?: number;
  /** autocannon instances sharing the rate (see the module comment); 1 when unset. */
  readonly lanes?: number;
}

/** What one run measured. */
export interface LoadRun {
  /** Seconds each autocannon instance ran (their mean when there are lanes). */
  readonly seconds: number;
  /** Answers by HTTP status. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Connection errors and timeouts (requests without an answer). */
  readonly errors: number;
  /** Latency of every answer, in ms, in arrival order. */
  readonly latenciesMs: readonly number[];
}

/** Runs the load and returns what it measured. */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  const plan = lanePlan(options.overallRate, options.connections, options.lanes ?? 1);
  const results = await Promise.all(plan.map(async (lane) => {
    await new Promise((r) => setTimeout(r, lane.delayMs));
    const instance = autocannon({
      url: target.url, method: 'POST', connections: lane.connections, duration: options.durationSeconds, timeout: 10,
      ...(lane.rate !== undefined ? { overallRate: lane.rate } : {}),
      requests: [{ setupRequest: (request) => submission(request, target) }],
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      latenciesMs.push(responseTime);
    });
    return await instance;
  }));
  return {
    seconds: results.reduce((sum, r) => sum + r.duration, 0) / results.length, statuses,
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0), latenciesMs,
  };
}

/** Several runs of one contender as one: answers, errors and latencies together, over their summed time. */
export function poolRuns(runs: readonly LoadRun[]): LoadRun {
  const statuses: Record<string, number> = {};
  for (const run of runs) for (const [status, count] of Object.entries(run.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  return {
    seconds: runs.reduce((sum, r) => sum + r.seconds, 0), statuses, errors: runs.reduce((sum, r) => sum + r.errors, 0),
    latenciesMs: runs.flatMap((r) => r.latenciesMs),
  };
}

/** 202 answers per second. */
export function acceptedPerSecond(run: LoadRun): number {
  return run.seconds > 0 ? (run.statuses['202'] ?? 0) / run.seconds : 0;
}

/** Requests that did not get a 202 (the only answer a valid new claim gets): other answers, errors, timeouts. */
export function failures(run: Pick<LoadRun, 'statuses' | 'errors'>): number {
  return run.errors + Object.entries(run.statuses).reduce((sum, [status, count]) => sum + (status === '202' ? 0 : count), 0);
}

/** Latency statistics of a run (null without answers). */
export function latencyOf(run: LoadRun): Timing | null {
  return run.latenciesMs.length > 0 ? summarise(run.latenciesMs) : null;
}

function submission(request: autocannon.Request, target: LoadTarget): autocannon.Request {
  const id = target.nextId();
  return {
    ...request, method: 'POST', body: bodyFor(target.template, id),
    headers: { ...request.headers, 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${target.token}`, 'Idempotency-Key': id },
  };
}

/** One autocannon instance of a run. */
export interface Lane {
  readonly delayMs: number;
  readonly connections: number;
  /** Its share of the overall rate; undefined: unpaced. */
  readonly rate?: number;
}

/**
 * The lanes of a run: the rate and connections shared out as evenly as whole numbers allow, starts
 * spread over one second. Without a rate, a single lane with every connection.
 */
export function lanePlan(overallRate: number | undefined, connections: number, lanes: number): Lane[] {
  if (overallRate === undefined) return [{ delayMs: 0, connections }];
  // autocannon takes a rate of 0 as no rate at all.
  if (overallRate < 1) throw new Error(`A rate of ${overallRate}/s cannot be paced: autocannon counts whole requests per second`);
  const count = Math.max(1, Math.min(lanes, Math.floor(overallRate), connections));
  const share = (total: number, i: number) => Math.floor(total / count) + (i < total % count ? 1 : 0);
  return Array.from({ length: count }, (_, i) => ({
    delayMs: Math.round((i * 1000) / count), connections: share(connections, i), rate: share(Math.round(overallRate), i),
  }));
}

/**
 * Waits until a process is idle: under maxBusy of a core over a window, at most timeoutMs. When a run
 * ends, autocannon closes its connections with requests still in flight; the server finishes them
 * anyway, and that work must not fall on the next run.
 */
export async function settle(pid: number, options: { windowMs?: number; maxBusy?: number; timeoutMs?: number } = {}): Promise<void> {
  const { windowMs = 200, maxBusy = 0.1, timeoutMs = 5000 } = options;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = processCpuMs(pid);
    await new Promise((r) => setTimeout(r, windowMs));
    const after = processCpuMs(pid);
    if (before === undefined || after === undefined || after - before <= windowMs * maxBusy) return;
  }
}

/** Peak resident memory and CPU time of a process while a measurement runs. */
export interface ProcessWatch {
  /** Stops sampling: peak VmRSS seen (MiB) and CPU time used (ms) since the watch began. */
  stop(): { peakRssMb: number; cpuMs: number };
}

/**
 * Samples a process's VmRSS every intervalMs. VmHWM (the lifetime peak) also counts when it grew during
 * the watch: a peak between two samples is then caught too.
 */
export function watchProcess(pid: number, intervalMs = 100): ProcessWatch {
  const cpuStart = processCpuMs(pid) ?? 0;
  const hwmStart = processMemory(pid)?.hwmMb ?? 0;
  let peak = processMemory(pid)?.rssMb ?? 0;
  const timer = setInterval(() => {
    const memory = processMemory(pid);
    if (memory) peak = Math.max(peak, memory.rssMb, memory.hwmMb > hwmStart ? memory.hwmMb : 0);
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      const memory = processMemory(pid);
      if (memory) peak = Math.max(peak, memory.rssMb, memory.hwmMb > hwmStart ? memory.hwmMb : 0);
      return { peakRssMb: peak, cpuMs: (processCpuMs(pid) ?? cpuStart) - cpuStart };
    },
  };
}
