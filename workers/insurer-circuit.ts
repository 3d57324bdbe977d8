/**
 * Circuit breaker of one insurer, in one worker process. After failureThreshold transient failures in a
 * row the circuit opens: deliveries to that insurer pause for the cooldown (the queue is rate-limited,
 * so jobs wait without using attempts). Then one delivery goes through as a trial: success closes the
 * circuit, failure opens it again with the cooldown doubled, up to maxCooldownMs. So an insurer that is
 * down for hours is probed, not hammered, and its claims wait instead of becoming dead letters.
 */
export interface CircuitOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** How long a job waits while a trial is in flight before asking again. */
const TRIAL_WAIT_MS = 1000;

export class InsurerCircuit {
  private failures = 0;
  private openUntil = 0;
  private cooldown: number;
  private trialInFlight = false;

  constructor(private readonly options: CircuitOptions, private readonly now: () => number = Date.now) {
    this.cooldown = options.cooldownMs;
  }

  get state(): CircuitState {
    if (this.failures < this.options.failureThreshold) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'half-open';
  }

  /** 0 when a delivery may go now; otherwise how long to wait. In half-open, admits one trial at a time. */
  admit(): number {
    switch (this.state) {
      case 'closed':
        return 0;
      case 'open':
        return this.openUntil - this.now();
      case 'half-open':
        if (this.trialInFlight) return TRIAL_WAIT_MS;
        this.trialInFlight = true;
        return 0;
    }
  }

  /** The insurer answered (an adjudication or a refusal: it is up). Returns true when this closed the circuit. */
  succeeded(): boolean {
    const wasOpen = this.state !== 'closed';
    this.failures = 0;
    this.trialInFlight = false;
    this.cooldown = this.options.cooldownMs;
    return wasOpen;
  }

  /** A transient failure. Returns true when this opened (or re-opened) the circuit. */
  failed(): boolean {
    const trial = this.trialInFlight;
    this.trialInFlight = false;
    this.failures++;
    if (trial) this.cooldown = Math.min(this.cooldown * 2, this.options.maxCooldownMs);
    if (trial || this.failures === this.options.failureThreshold) {
      this.openUntil = this.now() + this.cooldown;
      return true;
    }
    return false;
  }
}
