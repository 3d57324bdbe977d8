/**
 * The worker role: a delivery worker per insurer queue (insurers registered later get theirs within
 * a refresh interval), the provider-callback worker, the eligibility check and registry sync workers
 * (with each synced insurer's repeatable sync job), the insurer poll worker (with a repeatable poll job
 * for each insurer that never notifies), the sender of providers' messages to insurers, the outbox relay, the delivery sweeper and the
 * claim watch (stuck claims, polling of pended claims) and the retention purge.
 */
import type { Worker } from 'bullmq';
import type { OutboxDispatcher } from '../gateway/queue/outbox.js';
import { startCallbackWorker, type CallbackDeps } from './provider-callback.js';
import { startDeliveryWorker, type DeliveryDeps } from './claim-delivery.js';
import type { RedisHandle } from '../gateway/queue/redis.js';
import type { QueueRegistry } from '../gateway/queue/queues.js';
import type { Database } from '../gateway/store/database.js';
import { startSweeper } from './delivery-sweeper.js';
import { startClaimWatch } from './claim-watch.js';
import { startRetention } from './retention.js';
import { IdempotencyStore } from '../gateway/http/idempotency.js';
import type { CircuitOptions } from './insurer-circuit.js';
import type { EligibilityService } from '../gateway/eligibility/eligibility-service.js';
import { startEligibilityWorker } from './eligibility-check.js';
import { REGISTRY_SYNC_SCHEDULE, startRegistrySyncWorker } from './registry-sync.js';
import { INSURER_POLL_SCHEDULE, startInsurerPollWorker } from './insurer-poll.js';
import { scheduleInsurerJobs } from './job-schedules.js';
import { startExchangeDeliveryWorker } from './exchange-delivery.js';

const INSURER_REFRESH_MS = 30_000;

export interface WorkerHostDeps extends DeliveryDeps, CallbackDeps {
  readonly redis: RedisHandle;
  readonly prefix: string;
  readonly concurrency: number;
  readonly backoffMs: number;
  readonly circuit: CircuitOptions;
  readonly outbox: OutboxDispatcher;
  readonly relayIntervalMs: number;
  readonly db: Database;
  readonly queues: QueueRegistry;
  readonly sweepAfterMs: number;
  readonly watch: { readonly answerDeadlineMs: number; readonly pendedPollAfterMs: number; readonly intervalMs: number };
  readonly retention: { readonly days?: number; readonly intervalMs: number; readonly idempotencyTtlHours: number };
  readonly eligibility: EligibilityService;
}

/** Running workers; close() stops them in order and is safe to call twice. */
export interface WorkerHost {
  close(): Promise<void>;
}

/** Starts every worker of this process. */
export async function startWorkers(deps: WorkerHostDeps): Promise<WorkerHost> {
  const delivery = new Map<string, Worker>();
  const syncSchedules = new Map<string, number | null>();
  const pollSchedules = new Map<string, number | null>();
  const refresh = async () => {
    for (const insurer of await deps.registry.insurers()) {
      if (!delivery.has(insurer.id)) delivery.set(insurer.id, startDeliveryWorker(insurer, deps));
    }
    await scheduleInsurerJobs(deps, REGISTRY_SYNC_SCHEDULE, syncSchedules);
    await scheduleInsurerJobs(deps, INSURER_POLL_SCHEDULE, pollSchedules);
  };
  await refresh();
  const timer = setInterval(() => {
    refresh().catch((err: Error) => deps.logger.warn({ err: { message: err.message } }, 'insurer refresh failed'));
  }, INSURER_REFRESH_MS);
  timer.unref();
  const callbacks = startCallbackWorker(deps);
  const eligibilityChecks = startEligibilityWorker(deps);
  const registrySyncs = startRegistrySyncWorker(deps);
  const insurerPolls = startInsurerPollWorker(deps);
  const exchangeDeliveries = startExchangeDeliveryWorker(deps);
  deps.outbox.start(deps.relayIntervalMs);
  // Sweep a few times per threshold, never more often than the relay runs.
  const stopSweeper = startSweeper({ ...deps, afterMs: deps.sweepAfterMs }, Math.max(deps.relayIntervalMs, Math.floor(deps.sweepAfterMs / 4)));
  const stopWatch = startClaimWatch({ ...deps, ...deps.watch }, deps.watch.intervalMs);
  const stopRetention = startRetention({
    claims: deps.claims, eligibilityRequests: deps.eligibilityRequests, exchanges: deps.exchanges, idempotency: new IdempotencyStore(deps.db), logger: deps.logger,
    retentionDays: deps.retention.days, idempotencyTtlHours: deps.retention.idempotencyTtlHours, intervalMs: deps.retention.intervalMs,
  });
  let closing: Promise<void> | undefined;
  return {
    close: () => (closing ??= (async () => {
      clearInterval(timer);
      await deps.outbox.stop();
      await stopSweeper();
      await stopWatch();
      await stopRetention();
      // A connection waiting for a Redis that is down or failing over would hold a worker's close() up for ever.
      deps.redis.endUnconnected();
      await Promise.allSettled([...delivery.values(), callbacks, eligibilityChecks, registrySyncs, insurerPolls, exchangeDeliveries].map((w) => w.close()));
    })()),
  };
}
