/**
 * Queue names and job descriptors shared by the producers (claim service, via the outbox) and the
 * workers, kept apart so neither imports the other. Job data holds ids only, never patient data.
 */
import type { OutboxMessage } from '../gateway/queue/outbox.js';

/** Delivery queue of one insurer: one queue each, so a slow insurer never holds up another. */
export function deliveryQueueName(insurerId: string): string {
  return `delivery-${insurerId}`;
}

/** Queue of pushes of ClaimResponses to provider callbacks. */
export const CALLBACK_QUEUE = 'provider-callbacks';

/** Data of a delivery job. */
export interface DeliveryJobData {
  readonly claimId: string;
}

/** Data of a callback job: one ClaimResponse, the final answer of one eligibility request, or one exchange (gateway/exchanges/). */
export type CallbackJobData = { readonly claimResponseId: string } | { readonly eligibilityRequestId: string } | { readonly exchangeId: string };

/** Queue of eligibility checks answered "queued" past the budget. */
export const ELIGIBILITY_QUEUE = 'eligibility-checks';

/** Data of an eligibility check job. */
export interface EligibilityJobData {
  readonly eligibilityRequestId: string;
}

/** Queue of the incremental syncs of synced registries (one repeatable job per insurer). */
export const REGISTRY_SYNC_QUEUE = 'registry-sync';

/** Data of a registry sync job. */
export interface RegistrySyncJobData {
  readonly insurerId: string;
}

/**
 * The job that delivers a claim; its id comes from the claim, so a re-add never duplicates it. An
 * operator's replay n of a dead letter gets the job id claim-{id}-replay-{n} (the failed job keeps the
 * plain id); the insurer's idempotency key stays the claim id.
 */
export function deliveryJob(claimId: string, insurerId: string, replay = 0): OutboxMessage {
  const jobId = replay > 0 ? `claim-${claimId}-replay-${replay}` : `claim-${claimId}`;
  return { queue: deliveryQueueName(insurerId), jobName: 'deliver-claim', jobId, payload: { claimId } };
}

/** The job that pushes one ClaimResponse to its provider's callback. */
export function callbackJob(claimResponseId: string): OutboxMessage {
  return { queue: CALLBACK_QUEUE, jobName: 'push-claim-response', jobId: `push-${claimResponseId}`, payload: { claimResponseId } };
}

/**
 * The check of an eligibility request answered "queued": delayed until the call in flight has surely
 * ended (its timeout), so the insurer is asked again only when that call brought no answer.
 */
export function eligibilityCheckJob(eligibilityRequestId: string, delayMs: number): OutboxMessage {
  return { queue: ELIGIBILITY_QUEUE, jobName: 'check-eligibility', jobId: `eligibility-${eligibilityRequestId}`, payload: { eligibilityRequestId }, delayMs };
}

/** The job that pushes the final answer of a queued eligibility request to its provider's callback. */
export function eligibilityPushJob(eligibilityRequestId: string): OutboxMessage {
  return { queue: CALLBACK_QUEUE, jobName: 'push-eligibility-response', jobId: `push-eligibility-${eligibilityRequestId}`, payload: { eligibilityRequestId } };
}

/** The job that pushes one exchange (an information request, a payment) to its provider's callback. */
export function exchangePushJob(exchangeId: string): OutboxMessage {
  return { queue: CALLBACK_QUEUE, jobName: 'push-exchange', jobId: `push-exchange-${exchangeId}`, payload: { exchangeId } };
}

/** Queue of exchanges (a provider's Communication) sent to insurers through their adapter. */
export const INSURER_EXCHANGE_QUEUE = 'insurer-exchanges';

/** Data of an insurer exchange job. */
export interface InsurerExchangeJobData {
  readonly exchangeId: string;
}

/** The job that sends one exchange to its insurer through the insurer's adapter (sendExchange). */
export function insurerExchangeJob(exchangeId: string, insurerId: string): OutboxMessage {
  return { queue: INSURER_EXCHANGE_QUEUE, jobName: `send-exchange-${insurerId}`, jobId: `exchange-${exchangeId}`, payload: { exchangeId } };
}

/** Queue of the polls of insurers that never notify (one repeatable job per insurer). */
export const INSURER_POLL_QUEUE = 'insurer-polls';

/** Data of an insurer poll job. */
export interface InsurerPollJobData {
  readonly insurerId: string;
}
