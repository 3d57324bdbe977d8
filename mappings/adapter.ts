/**
 * The seam between the gateway and each insurer's dialect. Providers always speak standard FHIR; an
 * adapter, chosen per insurer in the participant registry, turns a claim into what the insurer takes and
 * its answer back into a FHIR ClaimResponse. Adapters never touch the database or the queues.
 */
import type { Bundle, ClaimResponse, OperationOutcome } from '@medplum/fhirtypes';

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
}

/** Which claim to ask the insurer about. */
export interface ClaimQuery {
  readonly claimId: string;
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}
