/**
 * Timing loops and their statistics. Contenders are timed in interleaved rounds: each round gives every
 * contender a slice of wall time (and at least a few calls), in an order that rotates from round to
 * round. A load spike or a collection left behind by one contender then falls on all of them alike,
 * which keeps ratios honest on a shared machine. Each call is timed on its own (performance.now()).
 * Before the rounds, after one full collection, each contender warms up on its own: JIT tiering takes
 * hundreds of calls (Passerelle's FHIRPath evaluation is several times slower for its first second),
 * and those calls are not measured. No full collection is forced between rounds: the call after a
 * forced one is several times slower (measured on Passerelle's large claim: 65 ms against 10 ms), a
 * cost no server pays on every request.
 */
import type { ComparisonRow, ComparisonTable, ScoredRow } from './types.js';

export interface RoundOptions {
  /** Warm-up of each contender: at least minCalls and minMs, at most maxMs. */
  readonly warmup: { readonly minCalls: number; readonly minMs: number; readonly maxMs: number };
  /** Measured rounds. */
  readonly rounds: number;
  /** Wall time each contender gets per round. */
  readonly sliceMs: number;
  /** Calls each contender makes per round however slow it is. */
  readonly minCallsPerSlice: number;
}

/** Below this many samples a p99 is only the slowest call or so: it is not reported. */
export const MIN_SAMPLES_FOR_P99 = 100;

/** Statistics of one timing series, in milliseconds. */
export interface Timing {
  readonly samples: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  /** null below MIN_SAMPLES_FOR_P99 samples. */
  readonly p99Ms: number | null;
  readonly minMs: number;
  readonly maxMs: number;
}

/** A function under test; `i` counts its calls from 0, so it can cycle through several inputs. */
export interface TimedContender {
  readonly name: string;
  readonly call: (i: number) => unknown;
}

/** What timing a contender gave: its statistics, or the error it threw (it is then left out of later rounds). */
export type TimingOutcome = { readonly timing: Timing } | { readonly error: string };

/** Asks for a full collection, when node runs with --expose-gc. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Times contenders in interleaved rounds (see the module comment). */
export function timeInterleaved(contenders: readonly TimedContender[], options: RoundOptions): Map<string, TimingOutcome> {
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  const calls = new Map(contenders.map((c) => [c.name, 0]));
  const errors = new Map<string, string>();
  let sink = 0;
  const keep = (value: unknown) => { sink += Array.isArray(value) ? value.length : 1; };
  const next = (name: string) => {
    const i = calls.get(name)!;
    calls.set(name, i + 1);
    return i;
  };
  collectGarbage();
  for (const contender of contenders) {
    const start = performance.now();
    try {
      for (let n = 0; ; n++) {
        const elapsed = performance.now() - start;
        if (elapsed >= options.warmup.maxMs || (n >= options.warmup.minCalls && elapsed >= options.warmup.minMs)) break;
        keep(contender.call(next(contender.name)));
      }
    } catch (err) {
      errors.set(contender.name, (err as Error).message);
    }
  }
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length]!;
      if (errors.has(contender.name)) continue;
      const series = samples.get(contender.name)!;
      const end = performance.now() + options.sliceMs;
      try {
        for (let n = 0; n < options.minCallsPerSlice || performance.now() < end; n++) {
          const i = next(contender.name);
          const start = performance.now();
          const value = contender.call(i);
          series.push(performance.now() - start);
          keep(value);
        }
      } catch (err) {
        errors.set(contender.name, (err as Error).message);
      }
    }
  }
  if (sink < 0) throw new Error('unreachable');
  return new Map(contenders.map((c) => {
    const error = errors.get(c.name);
    return [c.name, error !== undefined ? { error } : { timing: summarise(samples.get(c.name)!) }];
  }));
}

/** Mean, nearest-rank p50 and p99, min and max of a series. */
export function summarise(samples: readonly number[]): Timing {
  if (samples.length === 0) throw new Error('No samples to summarise');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return {
    samples: sorted.length,
    meanMs: sorted.reduce((sum, s) => sum + s, 0) / sorted.length,
    p50Ms: rank(50), p99Ms: sorted.length >= MIN_SAMPLES_FOR_P99 ? rank(99) : null, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!,
  };
}

/** The median of a few figures (e.g. repeated cold starts). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('No values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Adds ratios and target verdicts to a table's rows. For "lower is better" figures the ratio is
 * baseline ÷ Passerelle (how many times faster or smaller Passerelle is); for "higher is better" it is
 * Passerelle ÷ baseline. Below 1, Passerelle is worse.
 */
export function scoreTable(table: Omit<ComparisonTable, 'rows'> & { readonly rows: readonly ComparisonRow[] }): ComparisonTable {
  const rows: ScoredRow[] = table.rows.map((row) => {
    const ratios: Record<string, number | null> = {};
    for (const name of table.baselines) {
      const baseline = row.baselines[name];
      ratios[name] = row.ours === null || baseline === null || baseline === undefined || row.ours <= 0 || baseline <= 0 ? null
        : table.better === 'lower' ? baseline / row.ours : row.ours / baseline;
    }
    if (!table.target) return { ...row, ratios };
    const targetRatio = ratios[table.target.baseline] ?? null;
    return { ...row, ratios, targetMet: targetRatio === null ? null : targetRatio >= table.target.minRatio };
  });
  return { ...table, rows };
}
