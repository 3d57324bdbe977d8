/**
 * The seam between the gateway and each insurer's dialect. Providers always speak standard FHIR; an
 * adapter, chosen per insurer in the participant registry, turns a claim into what the insurer takes and
 * its answer back into a FHIR ClaimResponse. Adapters never touch the database or the queues.
 */
import type { Bundle, ClaimResponse, Coverage, CoverageEligibilityResponse, OperationOutcome, Patient } from '@medplum/fhirtypes';

/** One delivery of a claim to its insurer. */
export interface ClaimDelivery {
  /** The gateway's claim id (also Claim.id in the bundle). */
  readonly claimId: string;
  readonly bundle: Bundle;
  /** Stable across retries and replays: the insurer uses it to take the claim once. */
  readonly idempotencyKey: string;
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}

/** What the insurer said. */
export type DeliveryResult =
  /** A ClaimResponse: adjudicated at once (complete, partial, error) or taken for later (queued). */
  | { readonly kind: 'answered'; readonly claimResponse: ClaimResponse }
  /** A final refusal (4xx): retrying cannot help. */
  | { readonly kind: 'refused'; readonly httpStatus: number; readonly outcome: OperationOutcome };

/** A failure worth retrying: network errors, timeouts, 5xx, 429, unreadable answers. */
export class TransientDeliveryError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'TransientDeliveryError';
  }
}

/** An adapter for one insurer dialect. */
export interface InsurerAdapter {
  readonly name: string;
  /** Checks an insurer's settings when it is registered; throws with a readable message. */
  checkSettings(settings: Readonly<Record<string, unknown>>): void;
  /** Sends a claim; throws TransientDeliveryError for what may succeed later. */
  submitClaim(delivery: ClaimDelivery): Promise<DeliveryResult>;
  /**
   * The insurer's latest ClaimResponse to a claim it took, if it has one: how pended claims are polled
   * when the insurer's own notification does not arrive. Adapters whose insurer cannot be asked omit it.
   */
  fetchClaimResponse?(query: ClaimQuery): Promise<ClaimResponse | undefined>;
  /**
   * Asks the insurer, live, whether a member is covered: its CoverageEligibilityRequest/$submit, or a
   * Coverage search by the member's identifier. Throws TransientDeliveryError when the insurer does not
   * answer usefully (unreachable, timeout, 5xx, garbage). Adapters of insurers without a live API omit it.
   */
  checkEligibility?(query: EligibilityQuery): Promise<EligibilityAnswer>;
  /**
   * The insurer's Coverage changed since a moment (all of them without one), page by page, with the
   * beneficiary Patients when the insurer includes them: the incremental sync of a synced registry.
   */
  fetchChangedCoverage?(query: CoverageChangesQuery): AsyncIterable<CoveragePage>;
}

/** One live eligibility question. */
export interface EligibilityQuery {
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly method: 'submit' | 'coverage-search';
  /** The collection Bundle led by the CoverageEligibilityRequest, as the gateway forwards it (submit). */
  readonly bundle: Bundle;
  /** The member's identifier under the insurer's member system (coverage-search). */
  readonly member: { readonly system: string; readonly value: string };
  /** Stable per gateway request: the insurer answers a repeated question once. */
  readonly idempotencyKey: string;
  readonly signal?: AbortSignal;
}

/** What the insurer said about a member. */
export type EligibilityAnswer =
  | { readonly kind: 'response'; readonly response: CoverageEligibilityResponse }
  | { readonly kind: 'coverages'; readonly coverages: readonly Coverage[] }
  /** A final refusal (4xx) of the question itself. */
  | { readonly kind: 'refused'; readonly httpStatus: number; readonly outcome: OperationOutcome };

/** Which changes of an insurer's registry to fetch. */
export interface CoverageChangesQuery {
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Only Coverage changed after this moment; undefined: every Coverage. */
  readonly since?: Date;
  readonly pageSize: number;
  readonly signal?: AbortSignal;
}

/** One page of changed Coverage. */
export interface CoveragePage {
  readonly coverages: readonly Coverage[];
  readonly patients: readonly Patient[];
}

/** Which claim to ask the insurer about. */
export interface ClaimQuery {
  readonly claimId: string;
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}
