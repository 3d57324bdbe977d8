// Idempotent $submit: a retried request with the same Idempotency-Key gets the first answer back
// and is neither adjudicated nor pended twice. Answers are kept in memory, per insurer and operation.
import type { FhirAnswer } from './outcomes.js';

/** Most answers kept; the oldest are forgotten first so a long demo cannot exhaust memory. */
const MAX_ENTRIES = 10_000;

/** Stored answers by insurer, operation and Idempotency-Key. */
export class IdempotencyStore {
  private answers = new Map<string, FhirAnswer>();

  private static id(insurerId: string, operation: string, key: string): string {
    return JSON.stringify([insurerId, operation, key]);
  }

  /** The stored answer for this key, if any. */
  get(insurerId: string, operation: string, key: string): FhirAnswer | undefined {
    return this.answers.get(IdempotencyStore.id(insurerId, operation, key));
  }

  /** Stores an answer; Map keeps insertion order, so the first key is the oldest. */
  set(insurerId: string, operation: string, key: string, answer: FhirAnswer): void {
    this.answers.set(IdempotencyStore.id(insurerId, operation, key), answer);
    if (this.answers.size > MAX_ENTRIES) {
      const oldest = this.answers.keys().next();
      if (!oldest.done) {
        this.answers.delete(oldest.value);
      }
    }
  }

  clear(): void {
    this.answers.clear();
  }
}
