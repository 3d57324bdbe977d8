/**
 * Eligibility checks answered "queued": when the insurer was slower than the answer budget, the
 * provider got 202 and this job makes sure the final answer comes. It runs after the call in flight
 * has timed out (the job is delayed by the insurer's timeout), and returns at once when that call
 * brought the answer; otherwise it asks the insurer again.
 *
 * Retry policy: an insurer that does not answer (timeout, 5xx, garbage, open circuit) is asked again,
 * ELIGIBILITY_ATTEMPTS tries in all (default 5), waiting ELIGIBILITY_BACKOFF_MS × 2^(n−1) before try n+1
 * (default 2 s, 4 s, 8 s, 16 s: half a minute in all). After the last one the provider gets a
 * CoverageEligibilityResponse with outcome "error" and code insurer-unavailable, by pull and by push.
 *
 * Safe to run twice: the processor re-reads the request and the answer is recorded only while queued.
 */
import { Worker, type Job } from 'bullmq';
import type { EligibilityService } from '../gateway/eligibility/eligibility-service.js';
import type { Logger } from '../gateway/logger.js';
import type { RedisHandle } from '../gateway/queue/redis.js';
import { ELIGIBILITY_QUEUE, type EligibilityJobData } from './jobs.js';

export interface EligibilityCheckDeps {
  readonly eligibility: EligibilityService;
  readonly logger: Logger;
}

/** Answers one queued request; returns what happened. */
export async function processEligibilityCheck(job: Job<EligibilityJobData>, deps: EligibilityCheckDeps): Promise<string> {
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  try {
    return await deps.eligibility.checkQueued(job.data.eligibilityRequestId, lastAttempt);
  } catch (err) {
    deps.logger.warn({ eligibilityRequest: job.data.eligibilityRequestId, attempt: job.attemptsMade + 1, err: { message: (err as Error).message } }, 'eligibility check failed');
    throw err;
  }
}

/** Starts the eligibility check worker. */
export function startEligibilityWorker(deps: EligibilityCheckDeps & { redis: RedisHandle; prefix: string }): Worker<EligibilityJobData> {
  const worker = new Worker<EligibilityJobData>(ELIGIBILITY_QUEUE, (job) => processEligibilityCheck(job, deps), {
    connection: deps.redis.workerConnection(), prefix: deps.prefix, concurrency: 20,
  });
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'eligibility worker error'));
  return worker;
}
