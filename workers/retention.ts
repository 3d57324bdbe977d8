/**
 * Retention: patient data is not kept longer than the deployment decided. Every RETENTION_INTERVAL_MS,
 * the payloads of settled claims older than RETENTION_DAYS are purged in batches (the bundle, the
 * responses' resources, old idempotent answers); the claim rows, their timelines and the responses'
 * outcomes stay as the audit facts. Answered eligibility requests older than RETENTION_DAYS are deleted
 * (their answer was a moment's truth). Messages about claims (information requests, payments) are purged
 * once every claim they are about is. Without RETENTION_DAYS nothing is purged. Idempotency keys
 * expire after IDEMPOTENCY_KEY_TTL_HOURS either way.
 */
import type { ClaimRepository } from '../gateway/claims/claim-repository.js';
import type { Logger } from '../gateway/logger.js';
import { startPeriodic } from './periodic.js';
import type { IdempotencyStore } from '../gateway/http/idempotency.js';
import type { EligibilityRepository } from '../gateway/eligibility/eligibility-repository.js';
import type { ExchangeRepository } from '../gateway/exchanges/exchange-repository.js';

const BATCH = 1000;

/** Something retention purges in batches: claims' payloads, eligibility requests. */
export interface Purgeable {
  purgeExpired(retentionDays: number, limit: number): Promise<number>;
}

/** Purges batch after batch until nothing expired is left; returns how many (logged as what, with message). */
export async function purgeExpired(
  store: Purgeable, retentionDays: number, logger: Logger, what = 'claims', message = 'retention: claim payloads purged',
): Promise<number> {
  let total = 0;
  for (;;) {
    const purged = await store.purgeExpired(retentionDays, BATCH);
    total += purged;
    if (purged < BATCH) break;
  }
  if (total > 0) logger.info({ [what]: total, retentionDays }, message);
  return total;
}

/**
 * Runs periodically: the purge when a retention period is set, and in any case the expiry of
 * idempotency keys older than idempotencyTtlHours. Returns stop().
 */
export function startRetention(deps: {
  claims: ClaimRepository; eligibilityRequests: EligibilityRepository; exchanges: ExchangeRepository; idempotency: IdempotencyStore; logger: Logger; retentionDays?: number;
  idempotencyTtlHours: number; intervalMs: number;
}): () => Promise<void> {
  return startPeriodic('retention', deps.intervalMs, async () => {
    if (deps.retentionDays) {
      await purgeExpired(deps.claims, deps.retentionDays, deps.logger);
      await purgeExpired(deps.exchanges, deps.retentionDays, deps.logger, 'exchanges', 'retention: messages about purged claims purged');
      await purgeExpired(deps.eligibilityRequests, deps.retentionDays, deps.logger, 'eligibilityRequests', 'retention: eligibility requests deleted');
    }
    const expired = await deps.idempotency.expire(deps.idempotencyTtlHours);
    if (expired > 0) deps.logger.info({ keys: expired }, 'idempotency keys expired');
  }, deps.logger);
}
