// Counters the control API exposes so tests can assert what the insurer actually saw (how many
// attempts arrived, how many were adjudicated) instead of guessing from timings.

/** Snapshot returned by GET /_control/stats. */
export interface SandboxStatsSnapshot {
  /** $submit requests received, by Idempotency-Key ("none" without one). */
  readonly received: Record<string, number>;
  /** $submit requests that were adjudicated (not faulted, not replayed, not rejected as invalid). */
  readonly adjudicated: Record<string, number>;
  readonly faultsServed: number;
  readonly pendedAnswersPosted: number;
}

/** Key used for requests that carry no Idempotency-Key. */
export const NO_IDEMPOTENCY_KEY = 'none';

/** Mutable counters of one sandbox server. */
export class SandboxStats {
  private received = new Map<string, number>();
  private adjudicated = new Map<string, number>();
  private faultsServed = 0;
  private pendedAnswersPosted = 0;

  /** Counts a $submit request as it arrives. */
  countReceived(key: string | undefined): void {
    bump(this.received, key ?? NO_IDEMPOTENCY_KEY);
  }

  /** Counts a $submit request that the rules decided. */
  countAdjudicated(key: string | undefined): void {
    bump(this.adjudicated, key ?? NO_IDEMPOTENCY_KEY);
  }

  countFaultServed(): void {
    this.faultsServed += 1;
  }

  countPendedAnswerPosted(): void {
    this.pendedAnswersPosted += 1;
  }

  /** A plain-object copy, safe to serialise. */
  snapshot(): SandboxStatsSnapshot {
    return {
      received: Object.fromEntries(this.received),
      adjudicated: Object.fromEntries(this.adjudicated),
      faultsServed: this.faultsServed,
      pendedAnswersPosted: this.pendedAnswersPosted,
    };
  }

  reset(): void {
    this.received.clear();
    this.adjudicated.clear();
    this.faultsServed = 0;
    this.pendedAnswersPosted = 0;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
