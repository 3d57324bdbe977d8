// The latest answer the sandbox gave to each claim (the "queued" one, then the final one of a pended
// claim), so an insurer-side search can serve it: gateways poll pended claims this way when a posted
// answer never reached them. Kept in memory, bounded like the idempotent answers.
import type { ClaimResponse, Communication } from '@medplum/fhirtypes';

const MAX_ENTRIES = 10_000;

/** Latest ClaimResponse by insurer and claim id. */
export class ClaimAnswers {
  private answers = new Map<string, ClaimResponse>();
  /** Prior authorisations given, by insurer and preAuthRef: the last day each is valid. */
  private preAuths = new Map<string, string>();
  /** Communications received from providers, by insurer and claim. */
  private received = new Map<string, Communication[]>();
  /** Claims paid, by insurer and claim: a payment run pays each answer once. */
  private paid = new Set<string>();
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

  /** Keeps a provider's Communication about a claim (once per id). */
  recordCommunication(insurerId: string, claimId: string, communication: Communication): void {
    const id = ClaimAnswers.id(insurerId, claimId);
    const list = this.received.get(id) ?? [];
    if (!list.some((c) => c.id !== undefined && c.id === communication.id)) list.push(communication);
    this.received.set(id, list);
    if (this.received.size > MAX_ENTRIES) {
      const oldest = this.received.keys().next();
      if (!oldest.done) this.received.delete(oldest.value);
    }
  }

  /** The Communications received about a claim, oldest first. */
  communications(insurerId: string, claimId: string): Communication[] {
    return [...(this.received.get(ClaimAnswers.id(insurerId, claimId)) ?? [])];
  }

  /** The final answers of this insurer with something to pay and not paid yet, by claim id. */
  unpaid(insurerId: string): Array<{ claimId: string; response: ClaimResponse }> {
    const due: Array<{ claimId: string; response: ClaimResponse }> = [];
    for (const [key, response] of this.answers) {
      const [insurer, claimId] = JSON.parse(key) as [string, string];
      if (insurer !== insurerId || this.paid.has(key) || response.status === 'cancelled') continue;
      if ((response.outcome === 'complete' || response.outcome === 'partial') && (response.payment?.amount?.value ?? 0) > 0) due.push({ claimId, response });
    }
    return due;
  }

  /** Marks claims paid. */
  markPaid(insurerId: string, claimIds: readonly string[]): void {
    for (const claimId of claimIds) this.paid.add(ClaimAnswers.id(insurerId, claimId));
  }

  clear(): void {
    this.answers.clear();
    this.received.clear();
    this.paid.clear();
    this.preAuths.clear();
    this.postPended = true;
  }
}
