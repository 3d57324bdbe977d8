/**
 * Retention: patient data is not kept longer than the deployment decided. Every RETENTION_INTERVAL_MS,
 * the payloads of settled claims older than RETENTION_DAYS are purged in batches (the bundle, the
 * responses' resources, old idempotent answers); the claim rows, their timelines and the responses'
 * outcomes stay as the audit facts. Without RETENTION_DAYS nothing is purged.
 */
import type { ClaimRepository } from '../gateway/claims/claim-repository.js';
import type { Logger } from '../gateway/logger.js';
import { startPeriodic } from './periodic.js';

const BATCH = 1000;

/** Purges until no expired claim is left; returns how many were purged. */
export async function purgeExpired(claims: ClaimRepository, retentionDays: number, logger: Logger): Promise<number> {
  let total = 0;
  for (;;) {
    const purged = await claims.purgeExpired(retentionDays, BATCH);
    total += purged;
    if (purged < BATCH) break;
  }
  if (total > 0) logger.info({ claims: total, retentionDays }, 'retention: claim payloads purged');
  return total;
}

/** Runs the purge periodically when a retention period is set; returns stop(). */
export function startRetention(deps: { claims: ClaimRepository; logger: Logger; retentionDays?: number; intervalMs: number }): () => Promise<void> {
  const days = deps.retentionDays;
  if (!days) return async () => undefined;
  return startPeriodic('retention', deps.intervalMs, () => purgeExpired(deps.claims, days, deps.logger), deps.logger);
}
