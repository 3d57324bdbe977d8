/**
 * Claim watch: claims must not sit unanswered unseen. Each pass flags the claims with no insurer answer
 * past their insurer's deadline as stuck (an event on the claim, a flag on the Claim the provider reads,
 * and the operator list /admin/stuck-claims), and polls the insurer for pended claims whose answer has
 * not arrived (adapters that can be asked: fetchClaimResponse), recording any new answer. A lost
 * insurer notification thus delays a claim; it never strands it.
 */
import type { ClaimRepository } from '../gateway/claims/claim-repository.js';
import type { ClaimService } from '../gateway/claims/claim-service.js';
import type { Logger } from '../gateway/logger.js';
import type { ParticipantRegistry } from '../gateway/participants/registry.js';
import type { AdapterRegistry } from '../mappings/index.js';
import { startPeriodic } from './periodic.js';

const POLL_BATCH = 100;

export interface ClaimWatchDeps {
  readonly claims: ClaimRepository;
  readonly service: ClaimService;
  readonly registry: ParticipantRegistry;
  readonly adapters: AdapterRegistry;
  readonly logger: Logger;
  readonly answerDeadlineMs: number;
  readonly pendedPollAfterMs: number;
}

/** One pass: flags stuck claims, then polls pended ones. Returns what it did. */
export async function watchClaims(deps: ClaimWatchDeps): Promise<{ flagged: number; polled: number; answered: number }> {
  const flagged = await deps.claims.flagStuck(deps.answerDeadlineMs);
  if (flagged.length > 0) deps.logger.warn({ claims: flagged.map((c) => c.id) }, 'claims without an insurer answer past their deadline');
  const pended = await deps.claims.takePendedToPoll(deps.pendedPollAfterMs, POLL_BATCH);
  let answered = 0;
  for (const claim of pended) {
    const insurer = await deps.registry.get(claim.insurerId);
    const adapter = insurer ? deps.adapters.get(insurer.adapter) : undefined;
    if (!insurer || !adapter?.fetchClaimResponse) continue;
    try {
      const latest = await adapter.fetchClaimResponse({ claimId: claim.id, insurerId: insurer.id, settings: insurer.adapterSettings });
      if (latest && latest.outcome !== 'queued' && (await deps.service.recordInsurerAnswer(claim, latest)).created) answered++;
    } catch (err) {
      deps.logger.warn({ claimId: claim.id, insurer: claim.insurerId, err: { message: (err as Error).message } }, 'polling a pended claim failed');
    }
  }
  if (answered > 0) deps.logger.info({ polled: pended.length, answered }, 'pended claims answered by polling');
  return { flagged: flagged.length, polled: pended.length, answered };
}

/** Watches every intervalMs until the returned stop() is called. */
export function startClaimWatch(deps: ClaimWatchDeps, intervalMs: number): () => Promise<void> {
  return startPeriodic('claim watch', intervalMs, () => watchClaims(deps), deps.logger);
}
