/**
 * Async calls timed against each other (MemberStore.find and its baselines on the same pool) in
 * interleaved blocks, the order rotating from round to round so that load spikes fall on all alike, one
 * call at a time or with several in flight. Each call is timed on its own.
 */
import { summarise, type Timing } from '../harness/measure.js';

/** An async call under test; i counts its calls from 0. */
export interface AsyncContender {
  readonly name: string;
  readonly call: (i: number) => Promise<unknown>;
}

export interface LookupOptions {
  readonly warmupCalls: number;
  readonly rounds: number;
  /** Calls of each contender per round (split among the workers). */
  readonly callsPerRound: number;
  /** Calls in flight at once. */
  readonly concurrency: number;
}

/** Latency statistics and throughput of one contender. */
export interface LookupResult {
  readonly timing: Timing;
  readonly perSecond: number;
}

/** Times the contenders (see the module comment). */
export async function timeLookups(contenders: readonly AsyncContender[], options: LookupOptions): Promise<Map<string, LookupResult>> {
  const next = new Map(contenders.map((c) => [c.name, 0]));
  const take = (name: string) => {
    const i = next.get(name)!;
    next.set(name, i + 1);
    return i;
  };
  for (const c of contenders) await block(c, options.warmupCalls, options.concurrency, take, []);
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  const wall = new Map(contenders.map((c) => [c.name, 0]));
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(round + k) % contenders.length]!;
      const started = performance.now();
      await block(c, options.callsPerRound, options.concurrency, take, samples.get(c.name)!);
      wall.set(c.name, wall.get(c.name)! + performance.now() - started);
    }
  }
  return new Map(contenders.map((c) => {
    const series = samples.get(c.name)!;
    return [c.name, { timing: summarise(series), perSecond: series.length / (wall.get(c.name)! / 1000) }];
  }));
}

/** `calls` calls of one contender by `concurrency` workers, each awaiting its call before the next. */
async function block(c: AsyncContender, calls: number, concurrency: number, take: (name: string) => number, into: number[]): Promise<void> {
  let left = calls;
  const worker = async () => {
    while (left > 0) {
      left--;
      const i = take(c.name);
      const started = performance.now();
      await c.call(i);
      into.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
}
