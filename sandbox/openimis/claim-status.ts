// Where an openIMIS claim stands, computed from the sandbox clock when asked (no timers), so a test
// with a pinned clock always sees the same state: entered at once, checked after one step, processed
// after two, valuated after three. The check (coverage, price list) runs the first time the claim is
// looked at once it is due, with the member registry as it is then, and is kept from then on.
import { francs } from '../claim-amounts.js';
import { memberInForce, type InsurerRegistry } from '../registry.js';
import type { InsurerSeed } from '../seed.js';
import type { ClaimLine } from './claim-lines.js';
import type { ClaimCheck, StoredClaim } from './claim-store.js';
import { CLAIM_STATUS, REJECTION_REASON, STATUS_STEPS, type ClaimStatus, type RejectionReason } from './codes.js';

/** A claim's state at one instant. */
export interface ClaimState {
  readonly status: ClaimStatus;
  /** Per line (openIMIS order); all 0 before the check. */
  readonly reasons: readonly RejectionReason[];
}

/** How many steps after entered the claim is at `now`: 0 (entered) to 3 (valuated). */
export function stepsTaken(enteredAt: number, now: Date, stepMs: number): number {
  if (stepMs === 0) {
    return STATUS_STEPS.length - 1;
  }
  const elapsed = Math.max(0, now.getTime() - enteredAt);
  return Math.min(STATUS_STEPS.length - 1, Math.floor(elapsed / stepMs));
}

/**
 * The check: an insuree not covered on the date of service (or cancelled) rejects every line with
 * NO PRODUCT FOUND; a line whose code is excluded is NOT IN PRICE LIST; all lines rejected rejects
 * the claim.
 */
export function checkClaim(registry: InsurerRegistry, insurer: InsurerSeed, claim: StoredClaim): ClaimCheck {
  const member = registry.findMember(insurer, claim.submitted.chfId);
  if (!member || !memberInForce(member, claim.submitted.serviceDate)) {
    return { rejected: true, reasons: claim.lines.map(() => REJECTION_REASON.noProductFound) };
  }
  const reasons = claim.lines.map((l) =>
    insurer.excludedServiceCodes.includes(l.code) ? REJECTION_REASON.notInPriceList : REJECTION_REASON.accepted,
  );
  return { rejected: reasons.every((r) => r !== REJECTION_REASON.accepted), reasons };
}

/** The claim's state at `now`; runs and keeps the check when it is due and not yet run. */
export function claimState(registry: InsurerRegistry, insurer: InsurerSeed, claim: StoredClaim, now: Date, stepMs: number): ClaimState {
  const steps = stepsTaken(claim.enteredAt, now, stepMs);
  if (steps === 0) {
    return { status: CLAIM_STATUS.entered, reasons: claim.lines.map(() => REJECTION_REASON.accepted) };
  }
  claim.check ??= checkClaim(registry, insurer, claim);
  const status = claim.check.rejected ? CLAIM_STATUS.rejected : (STATUS_STEPS[steps] ?? CLAIM_STATUS.valuated);
  return { status, reasons: claim.check.reasons };
}

/** Valuated amount of a line: unit price × quantity × payer share, in whole francs, halves up. */
export function valuatedAmount(line: ClaimLine, payerSharePercent: number): number {
  return francs((line.unitPrice * line.quantity * payerSharePercent) / 100);
}
