// Pended claims get their real answer later, like a human review at a real insurer. This module
// holds the timers and deliveries in flight so close() can cancel them: nothing keeps the process
// (or a Jest run) alive after shutdown.
import type { ClaimResponse, CommunicationRequest } from '@medplum/fhirtypes';
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
  /** Posts an information request to the gateway (POST /fhir/CommunicationRequest); without it, nothing is held. */
  readonly requestInformation?: (insurerId: string, request: CommunicationRequest, signal: AbortSignal) => Promise<void>;
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
  /** Answers held until the provider sends the information asked for, by insurer and claim. */
  private readonly held = new Map<string, PendedAnswer>();
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

  /**
   * Holds the answer until the provider sends what the insurer asks for (release), and posts the request
   * to the gateway now. Ignored once close() has been called.
   */
  hold(answer: PendedAnswer, request: CommunicationRequest): void {
    if (this.closing.signal.aborted) {
      return;
    }
    if (!this.deps.requestInformation) {
      this.schedule(answer);
      return;
    }
    this.held.set(JSON.stringify([answer.insurerId, answer.claimId]), answer);
    const ids = { insurerId: answer.insurerId, claimId: answer.claimId };
    const posting = this.deps.requestInformation(answer.insurerId, request, this.closing.signal)
      .then(() => this.deps.logger.info(ids, 'information request posted to gateway'))
      .catch((err: unknown) => {
        if (!this.closing.signal.aborted) this.deps.logger.error({ ...ids, err: err instanceof Error ? err.message : String(err) }, 'information request not delivered');
      })
      .finally(() => this.inFlight.delete(posting));
    this.inFlight.add(posting);
  }

  /** Whether an answer is held for information about this claim. */
  isHeld(insurerId: string, claimId: string): boolean {
    return this.held.has(JSON.stringify([insurerId, claimId]));
  }

  /** The information asked for arrived: the held answer follows after the pend delay. False when none was held. */
  release(insurerId: string, claimId: string): boolean {
    const key = JSON.stringify([insurerId, claimId]);
    const answer = this.held.get(key);
    if (!answer) return false;
    this.held.delete(key);
    this.schedule(answer);
    return true;
  }

  /** Withdraws the answer still waiting for this claim; false when there is none (decided, or never pended). */
  cancel(insurerId: string, claimId: string): boolean {
    const key = JSON.stringify([insurerId, claimId]);
    if (this.held.delete(key)) return true;
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
    this.held.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}
