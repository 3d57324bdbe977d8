// The claims entered through the openIMIS face, in memory, per insurer. openIMIS keeps one claim per
// claim code and health facility; lookups by code serve `GET Claim/?identifier=`.
import type { ClaimLine } from './claim-lines.js';
import type { SubmittedClaim } from './claim-input.js';
import type { RejectionReason } from './codes.js';

/** What the check decided, kept once decided so later answers never change their mind. */
export interface ClaimCheck {
  /** The whole claim is rejected (status 1). */
  readonly rejected: boolean;
  /** Per line, in openIMIS order (see StoredClaim.lines). */
  readonly reasons: readonly RejectionReason[];
}

/** A claim as the openIMIS face keeps it. */
export interface StoredClaim {
  readonly uuid: string;
  readonly insurerId: string;
  readonly submitted: SubmittedClaim;
  /** When it was entered, epoch ms by the sandbox clock: the states follow from it. */
  readonly enteredAt: number;
  /** openIMIS order: medical items (Medication) first, then services, each group in the order received. */
  readonly lines: readonly ClaimLine[];
  /** Set the first time the claim is looked at once its check is due. */
  check?: ClaimCheck;
}

/** Lines in the order openIMIS lists them on a ClaimResponse. */
export function openImisOrder(lines: readonly ClaimLine[]): ClaimLine[] {
  return [...lines.filter((l) => l.kind === 'item'), ...lines.filter((l) => l.kind === 'service')];
}

/** The openIMIS face's claims of every insurer of one sandbox. */
export class OpenImisClaims {
  // Per insurer, by uuid, in the order entered.
  private readonly claims = new Map<string, Map<string, StoredClaim>>();

  /** Keeps a new claim. */
  add(claim: StoredClaim): void {
    const byUuid = this.claims.get(claim.insurerId) ?? new Map<string, StoredClaim>();
    byUuid.set(claim.uuid, claim);
    this.claims.set(claim.insurerId, byUuid);
  }

  /** The insurer's claim with this uuid, or undefined. */
  get(insurerId: string, uuid: string): StoredClaim | undefined {
    return this.claims.get(insurerId)?.get(uuid);
  }

  /** The insurer's claims with this code (any health facility when none is given), oldest first. */
  withCode(insurerId: string, code: string, healthFacilityCode?: string): StoredClaim[] {
    return this.all(insurerId).filter(
      (c) => c.submitted.code === code && (healthFacilityCode === undefined || c.submitted.healthFacilityCode === healthFacilityCode),
    );
  }

  /** Every claim of the insurer, oldest first. */
  all(insurerId: string): StoredClaim[] {
    return [...(this.claims.get(insurerId)?.values() ?? [])];
  }

  /** Forgets every claim (POST /_control/reset). */
  clear(): void {
    this.claims.clear();
  }
}
