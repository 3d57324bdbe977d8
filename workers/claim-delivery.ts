/**
 * Claim delivery: one BullMQ worker per insurer queue sends accepted claims to the insurer through the
 * adapter its registry entry names, and records the answer. It exists so that the API answers 202 at
 * once and a slow or dead insurer only ever holds up its own queue.
 *
 * Retry policy: network errors, timeouts, 5xx, 429 and unreadable answers are retried with exponential
 * backoff, DELIVERY_ATTEMPTS tries in all (default 10), waiting DELIVERY_BACKOFF_MS × 2^(n−1) before try
 * n+1 (default 2 s, 4 s, … 512 s: about 17 minutes in all), or longer when the insurer's Retry-After
 * asks for it (at most an hour). Then the claim becomes "failed", a dead
 * letter with its last error. A 4xx is final at once: the insurer's OperationOutcome is carried to the
 * provider in a ClaimResponse with outcome "error".
 *
 * Safe to run twice: the processor re-reads the claim and returns when it is no longer deliverable, and
 * the insurer receives the claim id as Idempotency-Key, so a retried or stalled job has one effect.
 */
import { UnrecoverableError, Worker, type BackoffStrategy, type Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { ClaimResponse, OperationOutcome } from '@medplum/fhirtypes';
import type { ClaimRepository, ClaimRecord } from '../gateway/claims/claim-repository.js';
import { claimOf, type ClaimService } from '../gateway/claims/claim-service.js';
import { deliveryErrorResponse } from '../gateway/claims/gateway-responses.js';
import { mappingOutcomeIssue } from '../gateway/claims/claim-mapping.js';
import { outcome, withTranslations } from '../gateway/fhir/outcomes.js';
import { DELIVERABLE } from '../gateway/claims/claim-status.js';
import type { Logger } from '../gateway/logger.js';
import type { Participant, ParticipantRegistry } from '../gateway/participants/registry.js';
import { InsurerCircuit, type CircuitOptions } from './insurer-circuit.js';
import type { RedisHandle } from '../gateway/queue/redis.js';
import { MappingError, TransientDeliveryError, type DeliveryResult } from '../mappings/adapter.js';
import type { AdapterRegistry } from '../mappings/index.js';
import { deliveryQueueName, type DeliveryJobData } from './jobs.js';

export interface DeliveryDeps {
  readonly claims: ClaimRepository;
  readonly service: ClaimService;
  readonly registry: ParticipantRegistry;
  readonly adapters: AdapterRegistry;
  readonly logger: Logger;
}

/** The insurer's circuit breaker and the means to pause its queue. */
export interface DeliveryGate {
  readonly circuit: InsurerCircuit;
  /** Rate-limits the queue for ms, for every worker process (BullMQ Worker.rateLimit). */
  pause(ms: number): Promise<void>;
}

/** Delivers one claim; returns what happened (kept as the job's return value). */
export async function processDelivery(job: Job<DeliveryJobData>, deps: DeliveryDeps, gate?: DeliveryGate): Promise<string> {
  const claim = await deps.claims.get(job.data.claimId);
  if (!claim) return 'obsolete: no such claim';
  if (!DELIVERABLE.has(claim.status) || !claim.bundle) return `obsolete: claim is ${claim.status}`;
  const bundle = claim.bundle;
  // Claims are stored queued; one accepted before that (a gateway upgraded with claims in flight) is queued now.
  if (claim.status === 'accepted') await deps.claims.markQueued([claim.id]);
  const wait = gate?.circuit.admit() ?? 0;
  if (wait > 0) {
    // The circuit is open: the job goes back to wait without using an attempt.
    await gate!.pause(wait);
    throw Worker.RateLimitError();
  }
  const insurer = await deps.registry.get(claim.insurerId);
  let result: DeliveryResult;
  try {
    if (!insurer) throw new UnrecoverableError(`insurer ${claim.insurerId} is not registered`);
    const adapter = deps.adapters.get(insurer.adapter);
    result = await adapter.submitClaim({
      claimId: claim.id, bundle, providerId: claim.providerId, idempotencyKey: claim.id, insurerId: claim.insurerId, settings: insurer.adapterSettings,
    });
  } catch (err) {
    if (err instanceof MappingError) {
      // The claim cannot be put in the insurer's format (its settings or mapping changed since the
      // submission check): final, and the provider is told what, as coded issues.
      await deps.service.recordInsurerAnswer(claim, mappingFailedResponse(claim, err));
      deps.logger.warn({ claimId: claim.id, insurer: claim.insurerId, issues: err.issues.map((i) => i.code) }, 'claim cannot be mapped to the insurer format');
      return `mapping failed: ${err.issues.length} issue(s)`;
    }
    const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const message = err instanceof Error ? err.message : String(err);
    await deps.service.recordDeliveryFailure(claim, message, final);
    deps.logger.warn({ claimId: claim.id, insurer: claim.insurerId, attempt: job.attemptsMade + 1, final, error: message }, 'delivery attempt failed');
    if (!(err instanceof UnrecoverableError) && gate?.circuit.failed()) {
      deps.logger.warn({ insurer: claim.insurerId }, 'circuit open: deliveries to this insurer pause');
    }
    if (err instanceof TransientDeliveryError || err instanceof UnrecoverableError) throw err;
    throw new TransientDeliveryError(message);
  }
  if (gate?.circuit.succeeded()) deps.logger.info({ insurer: claim.insurerId }, 'circuit closed: the insurer answers again');
  const answer = result.kind === 'answered' ? result.claimResponse : refusalResponse(claim, result.httpStatus, result.outcome);
  const recorded = await deps.service.recordInsurerAnswer(claim, answer, result.kind === 'answered' ? result.insurerReference : undefined);
  if (recorded.cancelled && result.kind === 'answered') {
    // The provider cancelled the claim while it was on its way: the insurer, which took it, is asked to
    // cancel it too (it may answer too late); the claim stays cancelled, the insurer's answer is kept.
    await cancelAtInsurer(claim, insurer!, deps);
  }
  return result.kind === 'answered' ? `answered: ${answer.outcome ?? 'unknown'}` : `refused: HTTP ${result.httpStatus}`;
}

/** Asks the insurer to cancel a claim the provider cancelled during its delivery; failures are logged for operators. */
async function cancelAtInsurer(claim: ClaimRecord, insurer: Participant, deps: DeliveryDeps): Promise<void> {
  const adapter = deps.adapters.get(insurer.adapter);
  const outcome = adapter.cancelClaim
    ? await adapter.cancelClaim({ claimId: claim.id, insurerId: insurer.id, settings: insurer.adapterSettings, bundle: claim.bundle! }).catch((err: Error) => `failed: ${err.message}`)
    : 'not offered';
  deps.logger.warn({ claimId: claim.id, insurer: insurer.id, outcome }, 'claim cancelled during its delivery: insurer asked to cancel it');
}

/** The ClaimResponse that tells a provider its insurer refused the claim, carrying the insurer's outcome. */
function refusalResponse(claim: ClaimRecord, httpStatus: number, outcome: OperationOutcome): ClaimResponse {
  const texts = (outcome.issue ?? []).map((i) => i.details?.text ?? i.diagnostics).filter((t): t is string => Boolean(t));
  return deliveryErrorResponse(randomUUID(), claimOf(claim), { providerId: claim.providerId, insurerId: claim.insurerId }, {
    code: 'insurer-refused',
    disposition: {
      en: `The insurer refused the claim (HTTP ${httpStatus})${texts.length ? `: ${texts.join('; ')}` : ''}`,
      fr: `L'assureur a refusé la demande (HTTP ${httpStatus})${texts.length ? ` : ${texts.join('; ')}` : ''}`,
    },
    text: {
      en: 'The insurer refused the claim; see the contained OperationOutcome (#insurer-outcome)',
      fr: "L'assureur a refusé la demande ; voir l'OperationOutcome contenu (#insurer-outcome)",
    },
    contained: { ...outcome, id: 'insurer-outcome' },
  });
}

/** The ClaimResponse that tells a provider its claim could not be put in the insurer's format, and why. */
function mappingFailedResponse(claim: ClaimRecord, err: MappingError): ClaimResponse {
  return deliveryErrorResponse(randomUUID(), claimOf(claim), { providerId: claim.providerId, insurerId: claim.insurerId }, {
    code: 'mapping-failed',
    disposition: {
      en: `The claim cannot be sent in the insurer's format: ${err.issues.map((i) => i.message.en).join('; ')}`,
      fr: `La demande ne peut pas être envoyée au format de l'assureur : ${err.issues.map((i) => i.message.fr).join('; ')}`,
    },
    text: {
      en: "The claim cannot be put in the insurer's format; see the contained OperationOutcome (#mapping-outcome)",
      fr: "La demande ne peut pas être mise au format de l'assureur ; voir l'OperationOutcome contenu (#mapping-outcome)",
    },
    contained: { ...withTranslations(outcome(err.issues.map((found) => mappingOutcomeIssue(found)))), id: 'mapping-outcome' },
  });
}

/** Backoff type of delivery jobs: BullMQ hands jobs of a type it does not know to deliveryBackoff. */
export const DELIVERY_BACKOFF_TYPE = 'insurer';

const MAX_RETRY_AFTER_MS = 3600_000;

/** Exponential backoff (baseMs × 2^(n−1)) that waits at least as long as the insurer's Retry-After asks. */
export function deliveryBackoff(baseMs: number): BackoffStrategy {
  return (attemptsMade, _type, err) => {
    const exponential = baseMs * 2 ** Math.max(0, attemptsMade - 1);
    const asked = err instanceof TransientDeliveryError ? Math.min(err.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS) : 0;
    return Math.max(exponential, asked);
  };
}

/**
 * Starts the delivery worker of one insurer's queue, with that insurer's concurrency and rate limit
 * (registry delivery settings, else the configuration) and its circuit breaker.
 */
export function startDeliveryWorker(
  insurer: Participant,
  deps: DeliveryDeps & { redis: RedisHandle; prefix: string; concurrency: number; backoffMs: number; circuit: CircuitOptions },
): Worker<DeliveryJobData> {
  const { concurrency, maxPerSecond } = insurer.delivery;
  const gate: DeliveryGate = { circuit: new InsurerCircuit(deps.circuit), pause: (ms) => worker.rateLimit(ms) };
  const worker: Worker<DeliveryJobData> = new Worker<DeliveryJobData>(deliveryQueueName(insurer.id), (job) => processDelivery(job, deps, gate), {
    connection: deps.redis.workerConnection(), prefix: deps.prefix, concurrency: concurrency ?? deps.concurrency,
    settings: { backoffStrategy: deliveryBackoff(deps.backoffMs) },
    ...(maxPerSecond ? { limiter: { max: Math.max(1, Math.round(maxPerSecond)), duration: Math.round(1000 * Math.max(1, Math.round(maxPerSecond)) / maxPerSecond) } } : {}),
  });
  const insurerId = insurer.id;
  worker.on('error', (err) => deps.logger.warn({ insurer: insurerId, err: { message: err.message } }, 'delivery worker error'));
  return worker;
}
