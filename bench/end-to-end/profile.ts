/**
 * Reads the CPU profiles the gateway processes write when BENCH_E2E_CPU_PROF is set (node --cpu-prof,
 * one file per process, named after its pid, written when it exits) and splits each one's samples
 * into parts of the work: each sample goes to the first frame, from the leaf up, that belongs to a
 * known part (the PostgreSQL client, the Redis client, validation, ...). The profiler samples wall
 * time, so on a busy machine a sample also lands where the process was preempted (often inside a
 * socket write that woke PostgreSQL): shares are of the samples in which the process was not idle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a .cpuprofile this module reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string }; readonly children?: readonly number[] }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

type Frame = CpuProfile['nodes'][number]['callFrame'];

/** Parts of the work, tried in this order on each frame from the leaf up. */
export const PROFILE_PARTS: ReadonlyArray<readonly [string, (frame: Frame) => boolean]> = [
  ['start-up (modules, definitions, keys)', (f) => /\/(runtime|conformance)\.js$/.test(f.url) && /^(startPasserelle|load)$/.test(f.functionName)],
  ['PostgreSQL client (pg, its socket writes)', (f) => /node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//.test(f.url)],
  ['Redis client (ioredis, BullMQ, rate limiter)', (f) => /node_modules\/(ioredis|bullmq|rate-limiter-flexible|@ioredis|msgpackr|redis-parser)\//.test(f.url)],
  ['validation (engine, fhirpath)', (f) => /\/gateway\/validation\/|node_modules\/(fhirpath|antlr4)\//.test(f.url)],
  ['logging (pino)', (f) => /node_modules\/(pino|pino-http|sonic-boom|thread-stream|fast-redact|@pinojs)\//.test(f.url)],
  ['tokens (jose)', (f) => /node_modules\/jose\//.test(f.url)],
  ['HTTP to the insurer (fhir-kit-client, fetch)', (f) => /node_modules\/(fhir-kit-client|undici)\/|node:internal\/deps\/undici/.test(f.url)],
  ['HTTP server (node:http, express)', (f) => /node_modules\/(express|router|body-parser|raw-body|finalhandler|send|on-finished|content-type|type-is)\/|node:_http_|node:internal\/http/.test(f.url)],
  ['gateway code (claims, audit, queue, workers, adapters)', (f) => /\/dist\/(gateway|workers|mappings)\//.test(f.url)],
];
export const OTHER_PART = 'node internals (streams, net, timers)';
const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)']);

/** Milliseconds of samples by part ((idle), (program) and (garbage collector) kept as they are). */
export function profileParts(profile: CpuProfile): Record<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const part = new Map<number, string>();
  const partOf = (leaf: number): string => {
    const known = part.get(leaf);
    if (known) return known;
    const leafName = byId.get(leaf)?.callFrame.functionName ?? '';
    let found: string | undefined = SPECIAL.has(leafName) ? leafName : undefined;
    for (let id: number | undefined = leaf; !found && id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame) found = PROFILE_PARTS.find(([, test]) => test(frame))?.[0];
    }
    part.set(leaf, found ?? OTHER_PART);
    return found ?? OTHER_PART;
  };
  const ms: Record<string, number> = {};
  profile.samples.forEach((leaf, i) => {
    const name = partOf(leaf);
    ms[name] = (ms[name] ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000;
  });
  return ms;
}

/** The profile a process wrote into dir (its pid is in the file name), if any. */
export function readProfileOf(dir: string, pid: number): CpuProfile | undefined {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile') && name.split('.').includes(String(pid)));
  return file ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile) : undefined;
}
