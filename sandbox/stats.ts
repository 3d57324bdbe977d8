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
  /** Successful logins on the openIMIS face (POST .../api/api_fhir_r4/login/), by insurer id. */
  readonly openimisLogins: Record<string, number>;
}

/** Key used for requests that carry no Idempotency-Key. */
export const NO_IDEMPOTENCY_KEY = 'none';

/** Mutable counters of one sandbox server. */
export class SandboxStats {
  private received = new Map<string, number>();
  private adjudicated = new Map<string, number>();
  private faultsServed = 0;
  private pendedAnswersPosted = 0;
  private openimisLogins = new Map<string, number>();

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

  /** Counts a successful openIMIS login, so tests can see a client log in again. */
  countOpenImisLogin(insurerId: string): void {
    bump(this.openimisLogins, insurerId);
  }

  /** A plain-object copy, safe to serialise. */
  snapshot(): SandboxStatsSnapshot {
    return {
      received: Object.fromEntries(this.received),
      adjudicated: Object.fromEntries(this.adjudicated),
      faultsServed: this.faultsServed,
      pendedAnswersPosted: this.pendedAnswersPosted,
      openimisLogins: Object.fromEntries(this.openimisLogins),
    };
  }

  reset(): void {
    this.received.clear();
    this.adjudicated.clear();
    this.faultsServed = 0;
    this.pendedAnswersPosted = 0;
    this.openimisLogins.clear();
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
