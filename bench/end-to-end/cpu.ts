/**
 * Where the machine's CPU goes during a phase: the CPU time (user + system, /proc/<pid>/stat) of each
 * process taking part, read before and after, summed by part (the gateway processes, PostgreSQL's
 * backends serving this database, Redis, the sandbox, the benchmark process itself). Divided by the
 * claims of the phase it is a cost per claim; divided by the wall time, how many cores were busy.
 * Processes that start during the phase count from zero; those that end before it does are lost, so
 * the snapshots are taken while every process still runs.
 */
import { readFileSync } from 'node:fs';
import { processCpuMs } from '../harness/gateway-process.js';

/** A process and the part of the deployment it belongs to. */
export interface CpuSource {
  readonly part: string;
  readonly pid: number;
}

/** CPU ms of each process, by pid, at one moment. */
export type CpuSnapshot = ReadonlyMap<number, { readonly part: string; readonly ms: number }>;

/** CPU used by each part over a phase, with the wall time it lasted. */
export interface CpuUse {
  readonly wallMs: number;
  /** Part → CPU ms. */
  readonly byPart: Readonly<Record<string, number>>;
  /** CPU ms the whole machine used meanwhile (every process, ours or not, and the kernel); null without /proc/stat. */
  readonly machineMs: number | null;
}

/** Reads the CPU time of each source now (sources that have ended are left out). */
export function cpuSnapshot(sources: readonly CpuSource[], read: (pid: number) => number | undefined = processCpuMs): CpuSnapshot {
  const snapshot = new Map<number, { part: string; ms: number }>();
  for (const { part, pid } of sources) {
    const ms = read(pid);
    if (ms !== undefined) snapshot.set(pid, { part, ms });
  }
  return snapshot;
}

/** CPU ms used by each part between two snapshots: a pid absent before counts from 0, one absent after is left out. */
export function cpuByPart(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const byPart: Record<string, number> = {};
  for (const [pid, { part, ms }] of after) byPart[part] = (byPart[part] ?? 0) + Math.max(0, ms - (before.get(pid)?.ms ?? 0));
  return byPart;
}

/** Measures a phase: snapshots before and after `work`, with sources read afresh each time. */
export async function measureCpu<T>(sources: () => Promise<readonly CpuSource[]>, work: () => Promise<T>): Promise<{ result: T; cpu: CpuUse }> {
  const before = cpuSnapshot(await sources());
  const machineBefore = machineCpuMs();
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  const machineAfter = machineCpuMs();
  const after = cpuSnapshot(await sources());
  const machineMs = machineBefore === undefined || machineAfter === undefined ? null : machineAfter - machineBefore;
  return { result, cpu: { wallMs, byPart: cpuByPart(before, after), machineMs } };
}

/** Busy CPU ms of the whole machine since boot (/proc/stat: every state but idle and iowait), or undefined. */
export function machineCpuMs(stat = readProcStat()): number | undefined {
  const fields = /^cpu\s+(.*)$/m.exec(stat ?? '')?.[1]?.trim().split(/\s+/).map(Number);
  if (!fields || fields.length < 4 || fields.some((v) => !Number.isFinite(v))) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const busy = fields.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
  return (busy * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on Linux x86 and arm. */
const CLOCK_TICKS_PER_SECOND = 100;

function readProcStat(): string | undefined {
  try {
    return readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
}
