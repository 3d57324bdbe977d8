/**
 * Delivery sweeper: the last safety net of "nothing accepted is lost". A claim that stays deliverable
 * (accepted or queued) for longer than DELIVERY_SWEEP_AFTER_MS gets its delivery job added again, and so
 * does the check job of an eligibility request still waiting for its answer ("queued"). When
 * the job is still in Redis (waiting, or in backoff) the add is a no-op, because job ids come from the
 * claim; when Redis lost it (restarted without persistence, flushed), the claim is queued again.
 * Every worker process sweeps; concurrent sweeps are harmless for the same reason.
 */
import type { Database } from '../gateway/store/database.js';
import type { Logger } from '../gateway/logger.js';
import type { QueueRegistry } from '../gateway/queue/queues.js';
import type { OutboxMessage } from '../gateway/queue/outbox.js';
import { deliveryJob, eligibilityCheckJob } from './jobs.js';
import { startPeriodic } from './periodic.js';

const BATCH = 1000;

export interface SweeperDeps {
  readonly db: Database;
  readonly queues: QueueRegistry;
  readonly logger: Logger;
  readonly afterMs: number;
}

/** One sweep; returns how many claims and eligibility requests it looked at. */
export async function sweepDeliverable(deps: SweeperDeps): Promise<number> {
  const { rows } = await deps.db.query<{ id: string; insurer_id: string }>(
    `select id, insurer_id from claims where status in ('accepted', 'queued')
     and updated_at < now() - ($1::int * interval '1 millisecond') order by updated_at limit ${BATCH}`,
    [deps.afterMs]);
  const { rows: questions } = await deps.db.query<{ id: string }>(
    `select id from eligibility_requests where status = 'queued'
     and created_at < now() - ($1::int * interval '1 millisecond') order by created_at limit ${BATCH}`,
    [deps.afterMs]);
  const byQueue = new Map<string, OutboxMessage[]>();
  for (const job of [...rows.map((row) => deliveryJob(row.id, row.insurer_id)), ...questions.map((q) => eligibilityCheckJob(q.id, 0))]) {
    byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
  }
  try {
    for (const [queue, jobs] of byQueue) {
      await deps.queues.get(queue).addBulk(jobs.map((j) => ({ name: j.jobName, data: j.payload, opts: { jobId: j.jobId } })));
    }
  } catch (err) {
    await deps.queues.reset(); // see QueueRegistry.reset: a failed producer is not reused
    throw err;
  }
  if (rows.length > 0) deps.logger.info({ claims: rows.length }, 'delivery sweep re-added jobs of claims still deliverable');
  if (questions.length > 0) deps.logger.info({ eligibilityRequests: questions.length }, 'delivery sweep re-added check jobs of eligibility requests still queued');
  return rows.length + questions.length;
}

/** Sweeps every intervalMs until the returned stop() is called. */
export function startSweeper(deps: SweeperDeps, intervalMs: number): () => Promise<void> {
  return startPeriodic('delivery sweep', intervalMs, () => sweepDeliverable(deps), deps.logger);
}
