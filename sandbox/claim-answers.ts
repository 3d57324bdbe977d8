// The latest answer the sandbox gave to each claim (the "queued" one, then the final one of a pended
// claim), so an insurer-side search can serve it: gateways poll pended claims this way when a posted
// answer never reached them. Kept in memory, bounded like the idempotent answers.
import type { ClaimResponse } from '@medplum/fhirtypes';

const MAX_ENTRIES = 10_000;

/** Latest ClaimResponse by insurer and claim id. */
export class ClaimAnswers {
  private answers = new Map<string, ClaimResponse>();
  /** Prior authorisations given, by insurer and preAuthRef: the last day each is valid. */
  private preAuths = new Map<string, string>();
  /** When false, pended answers are decided and kept but not posted: a lost notification, for tests. */
  postPended = true;

  private static id(insurerId: string, claimId: string): string {
    return JSON.stringify([insurerId, claimId]);
  }

  /** Keeps the answer as the claim's latest; the oldest claims are forgotten first. */
  record(insurerId: string, claimId: string, response: ClaimResponse): void {
    const id = ClaimAnswers.id(insurerId, claimId);
    this.answers.delete(id);
    this.answers.set(id, response);
    if (response.preAuthRef && response.preAuthPeriod?.end) this.preAuths.set(ClaimAnswers.id(insurerId, response.preAuthRef), response.preAuthPeriod.end);
    if (this.answers.size > MAX_ENTRIES) {
      const oldest = this.answers.keys().next();
      if (!oldest.done) this.answers.delete(oldest.value);
    }
  }

  /** The claim's latest answer, if any. */
  latest(insurerId: string, claimId: string): ClaimResponse | undefined {
    return this.answers.get(ClaimAnswers.id(insurerId, claimId));
  }

  /** Whether this insurer gave the prior authorisation ref and it is still valid on the day given (YYYY-MM-DD). */
  preAuthorised(insurerId: string, ref: string, day: string): boolean {
    const end = this.preAuths.get(ClaimAnswers.id(insurerId, ref));
    return end !== undefined && day <= end;
  }

  clear(): void {
    this.answers.clear();
    this.preAuths.clear();
    this.postPended = true;
  }
}
