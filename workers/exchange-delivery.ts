/**
 * Sends the messages providers address to insurers (a Communication answering an information request)
 * through the insurer's adapter (sendExchange), with the delivery retry policy: network errors,
 * timeouts and 5xx are retried (DELIVERY_ATTEMPTS tries, exponential backoff from DELIVERY_BACKOFF_MS),
 * a 4xx is final. Whatever happens, the message stays in the insurer's mailbox until it acknowledges it
 * (GET /fhir/$poll), and every attempt is in its claims' history. Safe to run twice: the processor
 * re-reads the message, and the insurer gets the same Idempotency-Key (the gateway's id of the message).
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ExchangeRepository } from '../gateway/exchanges/exchange-repository.js';
import type { ClaimRepository } from '../gateway/claims/claim-repository.js';
import type { Logger } from '../gateway/logger.js';
import type { ParticipantRegistry } from '../gateway/participants/registry.js';
import type { RedisHandle } from '../gateway/queue/redis.js';
import { ExchangeRefusedError } from '../mappings/adapter.js';
import type { AdapterRegistry } from '../mappings/index.js';
import { INSURER_EXCHANGE_QUEUE, type InsurerExchangeJobData } from './jobs.js';

export interface ExchangeDeliveryDeps {
  readonly exchanges: ExchangeRepository;
  readonly claims: ClaimRepository;
  readonly registry: ParticipantRegistry;
  readonly adapters: AdapterRegistry;
  readonly logger: Logger;
  readonly timeoutMs: number;
}

/** Sends one message to its insurer; returns what happened. */
export async function processExchangeDelivery(job: Job<InsurerExchangeJobData>, deps: ExchangeDeliveryDeps): Promise<string> {
  const exchange = await deps.exchanges.get(job.data.exchangeId);
  if (!exchange?.resource) return 'obsolete: no such message, or purged';
  if (exchange.deliveredAt) return 'obsolete: sent already';
  const insurer = await deps.registry.get(exchange.recipientId);
  const adapter = insurer?.kind === 'insurer' ? deps.adapters.get(insurer.adapter) : undefined;
  if (!insurer || !adapter?.sendExchange) return 'obsolete: the insurer takes no messages by push (it polls)';
  const claims = await Promise.all(exchange.claimIds.map(async (claimId) => ({ claimId, insurerReference: (await deps.claims.get(claimId))?.insurerReference })));
  const ids = { exchangeId: exchange.id, resourceType: exchange.resourceType, insurer: insurer.id };
  try {
    await adapter.sendExchange({
      insurerId: insurer.id, settings: insurer.adapterSettings, resource: exchange.resource as never, claims, idempotencyKey: exchange.id,
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
  } catch (err) {
    const message = (err as Error).message;
    const final = err instanceof ExchangeRefusedError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await deps.exchanges.markFailed(exchange.id, message);
    await deps.exchanges.addClaimEvents(exchange, final ? 'exchange-send-failed' : 'exchange-send-retry', { error: message });
    deps.logger.warn({ ...ids, final, err: { message } }, 'message to insurer not sent');
    throw err instanceof ExchangeRefusedError ? new UnrecoverableError(message) : err;
  }
  await deps.exchanges.markDelivered(exchange.id);
  await deps.exchanges.addClaimEvents(exchange, 'exchange-sent', {});
  deps.logger.info(ids, 'message sent to insurer');
  return 'sent';
}

/** Starts the worker of messages to insurers. */
export function startExchangeDeliveryWorker(deps: ExchangeDeliveryDeps & { redis: RedisHandle; prefix: string }): Worker<InsurerExchangeJobData> {
  const worker = new Worker<InsurerExchangeJobData>(INSURER_EXCHANGE_QUEUE, (job) => processExchangeDelivery(job, deps), {
    connection: deps.redis.workerConnection(), prefix: deps.prefix, concurrency: 5,
  });
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'exchange delivery worker error'));
  return worker;
}
