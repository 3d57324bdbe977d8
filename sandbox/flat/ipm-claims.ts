// The claims the IPM JSON API has answered, by insurer and claimRef: the API is idempotent by claimRef
// (a claim posted again gets its stored answer) and GET /claims/{claimRef} serves the current answer,
// the decided one once a pended claim's delay is over. Kept in memory, bounded like the other stores.
import type { ClaimResponse } from '@medplum/fhirtypes';
import { flatDecision, type FlatDecision } from './flat-decision.js';

const MAX_ENTRIES = 10_000;

/** The IPM API's answer to one claim. */
export interface IpmAnswer extends FlatDecision {
  readonly claimRef: string;
  readonly ipmRef: string;
}

interface Entry {
  readonly answer: IpmAnswer;
  /** The record's totalAmount, the claimed total of a later member rejection. */
  readonly totalAmount: number;
}

/** IPM answers by insurer and claimRef, with each insurer's ipmRef sequence. */
export class IpmClaims {
  private entries = new Map<string, Entry>();
  /** Never reset (not even by /_control/reset), so an ipmRef is never given to two claims. */
  private readonly sequences = new Map<string, number>();

  private static id(insurerId: string, claimRef: string): string {
    return JSON.stringify([insurerId, claimRef]);
  }

  /** The claim's current answer, if it was answered. */
  get(insurerId: string, claimRef: string): IpmAnswer | undefined {
    return this.entries.get(IpmClaims.id(insurerId, claimRef))?.answer;
  }

  /** Stores a new claim's first answer under the insurer's next ipmRef (IPM-000001, IPM-000002, ...). */
  add(insurerId: string, claimRef: string, totalAmount: number, decision: FlatDecision): IpmAnswer {
    const n = (this.sequences.get(insurerId) ?? 0) + 1;
    this.sequences.set(insurerId, n);
    const answer = { claimRef, ipmRef: `IPM-${String(n).padStart(6, '0')}`, ...decision };
    this.entries.set(IpmClaims.id(insurerId, claimRef), { answer, totalAmount });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return answer;
  }

  /**
   * Replaces a pended claim's answer by its final adjudication, keeping its ipmRef. A claim forgotten
   * meanwhile (a control API reset) stays forgotten.
   */
  settle(insurerId: string, claimRef: string, response: ClaimResponse): void {
    const id = IpmClaims.id(insurerId, claimRef);
    const entry = this.entries.get(id);
    if (!entry) return;
    const { ipmRef } = entry.answer;
    this.entries.set(id, { ...entry, answer: { claimRef, ipmRef, ...flatDecision(response, entry.totalAmount) } });
  }

  /** Forgets every answer (the ipmRef sequences go on). */
  clear(): void {
    this.entries.clear();
  }
}
