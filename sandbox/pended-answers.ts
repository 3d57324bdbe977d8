// Pended claims get their real answer later, like a human review at a real insurer. This module
// holds the timers and deliveries in flight so close() can cancel them: nothing keeps the process
// (or a Jest run) alive after shutdown.
import type { ClaimResponse } from '@medplum/fhirtypes';
import type { Logger } from 'pino';

/** One later answer to send: ids for the logs, and the adjudication to run when the delay is over. */
export interface PendedAnswer {
  readonly insurerId: string;
  readonly claimId: string;
  /** Runs the final adjudication when the delay is over (so it sees the clock at that time). */
  readonly adjudicate: () => ClaimResponse;
}

/** What the scheduler needs from the rest of the sandbox. */
export interface PendedAnswersDeps {
  readonly delayMs: number;
  readonly deliver: (insurerId: string, response: ClaimResponse, signal: AbortSignal) => Promise<void>;
  readonly onPosted: () => void;
  /** Keeps the final answer (searchable) before it is posted. */
  readonly record: (insurerId: string, claimId: string, response: ClaimResponse) => void;
  /** False to keep answers without posting them (a lost notification). */
  readonly posting: () => boolean;
  readonly logger: Logger;
}

/** Schedules and delivers the final answers of pended claims. */
export class PendedAnswers {
  /** Waiting answers by insurer and claim, so a cancellation can withdraw one. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  constructor(private readonly deps: PendedAnswersDeps) {}

  /** Sends the answer after the pend delay. Ignored once close() has been called. */
  schedule(answer: PendedAnswer): void {
    if (this.closing.signal.aborted) {
      return;
    }
    const key = JSON.stringify([answer.insurerId, answer.claimId]);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      const delivery = this.deliver(answer).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }, this.deps.delayMs);
    clearTimeout(this.timers.get(key));
    this.timers.set(key, timer);
  }

  /** Withdraws the answer still waiting for this claim; false when there is none (decided, or never pended). */
  cancel(insurerId: string, claimId: string): boolean {
    const key = JSON.stringify([insurerId, claimId]);
    const timer = this.timers.get(key);
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(key);
    return true;
  }

  private async deliver(answer: PendedAnswer): Promise<void> {
    const ids = { insurerId: answer.insurerId, claimId: answer.claimId };
    try {
      const response = answer.adjudicate();
      this.deps.record(answer.insurerId, answer.claimId, response);
      if (!this.deps.posting()) {
        this.deps.logger.info({ ...ids, claimResponseId: response.id }, 'pended answer kept, not posted (posting is off)');
        return;
      }
      await this.deps.deliver(answer.insurerId, response, this.closing.signal);
      this.deps.onPosted();
      this.deps.logger.info({ ...ids, claimResponseId: response.id, outcome: response.outcome }, 'pended answer posted to gateway');
    } catch (err) {
      if (this.closing.signal.aborted) {
        this.deps.logger.warn(ids, 'pended answer abandoned: sandbox closing');
        return;
      }
      // Ids and the error text only: the error never carries the ClaimResponse itself.
      this.deps.logger.error({ ...ids, err: err instanceof Error ? err.message : String(err) }, 'pended answer not delivered');
    }
  }

  /** Cancels waiting answers and aborts deliveries in flight. Safe to call twice. */
  async close(): Promise<void> {
    this.closing.abort();
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}
