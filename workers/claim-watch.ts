/**
 * Claim watch: claims must not sit unanswered unseen. Each pass flags the claims with no insurer answer
 * past their insurer's deadline as stuck (an event on the claim, a flag on the Claim the provider reads,
 * and the operator list /admin/stuck-claims), and polls the insurer for pended claims whose answer has
 * not arrived (adapters that can be asked: fetchClaimResponse), recording any new answer. A lost
 * insurer notification thus delays a claim; it never strands it. Insurers polled by their own
 * repeatable job (delivery.pollIntervalSeconds, insurer-poll.ts) are left to it.
 */
import type { ClaimRepository } from '../gateway/claims/claim-repository.js';
import type { ClaimService } from '../gateway/claims/claim-service.js';
import type { Logger } from '../gateway/logger.js';
import type { ParticipantRegistry } from '../gateway/participants/registry.js';
import type { AdapterRegistry } from '../mappings/index.js';
import { startPeriodic } from './periodic.js';
import { pollPendedClaim } from './insurer-poll.js';

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
  const polledByJob = (await deps.registry.insurers()).filter((i) => i.delivery.pollIntervalSeconds).map((i) => i.id);
  const pended = await deps.claims.takePendedToPoll(deps.pendedPollAfterMs, POLL_BATCH, { except: polledByJob });
  let answered = 0;
  for (const claim of pended) {
    const insurer = await deps.registry.get(claim.insurerId);
    const adapter = insurer ? deps.adapters.get(insurer.adapter) : undefined;
    if (insurer && adapter && (await pollPendedClaim(claim, insurer, adapter, deps))) answered++;
  }
  if (answered > 0) deps.logger.info({ polled: pended.length, answered }, 'pended claims answered by polling');
  return { flagged: flagged.length, polled: pended.length, answered };
}

/** Watches every intervalMs until the returned stop() is called. */
export function startClaimWatch(deps: ClaimWatchDeps, intervalMs: number): () => Promise<void> {
  return startPeriodic('claim watch', intervalMs, () => watchClaims(deps), deps.logger);
}
