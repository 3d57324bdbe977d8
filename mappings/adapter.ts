/**
 * The seam between the gateway and each insurer's dialect. Providers always speak standard FHIR; an
 * adapter, chosen per insurer in the participant registry, turns a claim into what the insurer takes and
 * its answer back into a FHIR ClaimResponse. Adapters never touch the database or the queues.
 */
import type { Bundle, ClaimResponse, Coverage, CoverageEligibilityResponse, OperationOutcome, Patient } from '@medplum/fhirtypes';
import type { Bilingual } from '../gateway/fhir/outcomes.js';

/** One delivery of a claim to its insurer. */
export interface ClaimDelivery {
  /** The gateway's claim id (also Claim.id in the bundle). */
  readonly claimId: string;
  readonly bundle: Bundle;
  /** The provider's participant id (Claim.provider, as the gateway accepted it). */
  readonly providerId: string;
  /** Stable across retries and replays: the insurer uses it to take the claim once. */
  readonly idempotencyKey: string;
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}

/** What the insurer said. */
export type DeliveryResult =
  /**
   * A ClaimResponse: adjudicated at once (complete, partial, error) or taken for later (queued).
   * insurerReference is the insurer's own id for the claim (openIMIS's claim uuid, an IPM's file
   * number), kept on the claim and handed back when the claim is polled.
   */
  | { readonly kind: 'answered'; readonly claimResponse: ClaimResponse; readonly insurerReference?: string }
  /** A final refusal (4xx): retrying cannot help. */
  | { readonly kind: 'refused'; readonly httpStatus: number; readonly outcome: OperationOutcome };

/**
 * Something in a claim the insurer's format cannot carry: an element it does not take, a required value
 * missing, a code it has no equivalent for, a value its format refuses. Never dropped silently: reported
 * to the provider as a coded issue (422 at submission, or an "error" ClaimResponse at delivery).
 */
export interface MappingIssue {
  readonly code: MappingIssueCode;
  /** FHIRPath of the element, from the resource that holds it (Claim.item[1].modifier, Patient.identifier). */
  readonly expression: string;
  /** What the provider reads, in English and French (the gateway answers in the language asked). */
  readonly message: Bilingual;
}

export type MappingIssueCode = 'mapping-unsupported-element' | 'mapping-required-missing' | 'mapping-code-unmapped' | 'mapping-value-invalid';

/** A claim the insurer's format cannot carry; retrying cannot help. */
export class MappingError extends Error {
  constructor(readonly issues: readonly MappingIssue[]) {
    super(`the claim cannot be put in the insurer's format: ${issues.map((i) => `${i.expression}: ${i.message.en}`).join('; ')}`);
    this.name = 'MappingError';
  }
}

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
  /**
   * Whether an insurer with these settings never notifies the gateway of its answers (openIMIS, reply
   * files): the gateway then asks, on a repeatable job every delivery.pollIntervalSeconds, which the
   * registration must give.
   */
  answersByPolling?(settings: Readonly<Record<string, unknown>>): boolean;
  /** Checks an insurer's settings when it is registered; throws with a readable message. */
  checkSettings(settings: Readonly<Record<string, unknown>>): void;
  /**
   * What of this claim the insurer's format cannot carry (empty: it can carry all of it). Run when the
   * provider submits, so the provider hears of it at once (422); adapters that take FHIR as is omit it.
   */
  checkClaim?(check: ClaimCheck): Promise<readonly MappingIssue[]>;
  /**
   * Sends a claim; throws TransientDeliveryError for what may succeed later, MappingError for a claim
   * the insurer's format cannot carry.
   */
  submitClaim(delivery: ClaimDelivery): Promise<DeliveryResult>;
  /**
   * Sends the claims submitClaim set aside for the insurer's next batch (a batch file dropped in its
   * folder); returns how many went. Adapters of insurers that take claims one by one omit it.
   */
  sendBatch?(query: InsurerQuery): Promise<number>;
  /**
   * The answers the insurer left for the gateway since the last call (reply files in its folder): each
   * names its claim. The gateway records them, then calls acknowledge() so they are not read again; a
   * reply read twice is recorded once. Adapters whose insurer is asked claim by claim omit it.
   */
  fetchPendingResponses?(query: InsurerQuery): Promise<PendingResponses>;
  /**
   * The insurer's latest ClaimResponse to a claim it took, if it has one: how pended claims are polled
   * when the insurer's own notification does not arrive. Adapters whose insurer cannot be asked omit it.
   */
  fetchClaimResponse?(query: ClaimQuery): Promise<ClaimResponse | undefined>;
  /**
   * Asks the insurer to cancel a claim it took and has not adjudicated: "cancelled" when it did (or
   * never had the claim), "too-late" when it has adjudicated it already. Throws TransientDeliveryError
   * when it does not answer usefully. Adapters of insurers that take no cancellations omit it.
   */
  cancelClaim?(query: ClaimQuery): Promise<'cancelled' | 'too-late'>;
  /**
   * Sends the insurer a provider's message about its claims (a Communication answering an information
   * request), as the gateway stored it. Throws TransientDeliveryError for what may succeed later and
   * ExchangeRefusedError for a final refusal. Adapters of insurers with no place for such messages omit
   * it: those insurers poll for them (GET /fhir/$poll).
   */
  sendExchange?(delivery: ExchangeDelivery): Promise<void>;
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

/** One message to an insurer about its claims (gateway/exchanges/). */
export interface ExchangeDelivery {
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** The resource as the gateway serves it (its id is the gateway's). */
  readonly resource: Readonly<{ resourceType: string; id: string }> & Readonly<Record<string, unknown>>;
  /** The claims it is about, with the insurer's own id of each when it gave one. */
  readonly claims: ReadonlyArray<{ readonly claimId: string; readonly insurerReference?: string }>;
  /** Stable across retries: the insurer takes the message once. */
  readonly idempotencyKey: string;
  readonly signal?: AbortSignal;
}

/** A final refusal of a message by the insurer (a 4xx): retrying cannot help. */
export class ExchangeRefusedError extends Error {
  constructor(message: string, readonly httpStatus: number) {
    super(message);
    this.name = 'ExchangeRefusedError';
  }
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
  /** The claim bundle as delivered: what the insurer's answer is mapped back onto. */
  readonly bundle: Bundle;
  /** The insurer's own id for the claim, when its answer to the delivery gave one. */
  readonly insurerReference?: string;
  readonly signal?: AbortSignal;
}

/** A claim the gateway checks before it accepts it. */
export interface ClaimCheck {
  readonly insurerId: string;
  readonly providerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly bundle: Bundle;
}

/** One insurer, for the work an adapter does per insurer rather than per claim. */
export interface InsurerQuery {
  readonly insurerId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}

/** Answers an insurer left for the gateway. */
export interface PendingResponses {
  readonly answers: ReadonlyArray<{ readonly claimId: string; readonly claimResponse: ClaimResponse; readonly source: string }>;
  /** What could not be read (a malformed reply file, a line for no claim): for operators, with where it was. */
  readonly problems: ReadonlyArray<{ readonly source: string; readonly message: string }>;
  /** Marks what was read as handled (moves reply files aside). */
  acknowledge(): Promise<void>;
}
