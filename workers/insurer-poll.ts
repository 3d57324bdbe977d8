/**
 * Insurer polls: some insurers never notify the gateway of their answers (openIMIS has no claim
 * notification; batch insurers leave reply files in a folder). For each insurer whose registration
 * gives delivery.pollIntervalSeconds, a BullMQ repeatable job (scheduler poll-<insurer>) asks it:
 *   1. sends the claims set aside for its next batch file (adapter.sendBatch);
 *   2. reads the answers it left (adapter.fetchPendingResponses: reply files), records each for its
 *      claim, then acknowledges them, so a reply file is read again only if the run failed before;
 *   3. asks it about each of its pended claims (adapter.fetchClaimResponse), recording final answers.
 * The claim watch does step 3 for the other insurers, as a fallback for lost notifications.
 *
 * Retry policy: none within a run (attempts 1); the scheduler's next run is the retry, and nothing is
 * lost meanwhile: staged claims stay staged, reply files stay in place, pended claims stay pended (and
 * are flagged stuck past their insurer's deadline).
 *
 * Safe to run twice: answers are recorded once per content (recordInsurerAnswer deduplicates), pended
 * claims are taken with SKIP LOCKED, and a reply for a claim of another insurer is never recorded.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ClaimRepository, ClaimRecord } from '../gateway/claims/claim-repository.js';
import type { ClaimService } from '../gateway/claims/claim-service.js';
import type { Logger } from '../gateway/logger.js';
import type { Participant, ParticipantRegistry } from '../gateway/participants/registry.js';
import type { RedisHandle } from '../gateway/queue/redis.js';
import type { InsurerAdapter, PendingResponses } from '../mappings/adapter.js';
import type { AdapterRegistry } from '../mappings/index.js';
import type { InsurerSchedule } from './job-schedules.js';
import { INSURER_POLL_QUEUE, type InsurerPollJobData } from './jobs.js';

/** Pended claims asked about per run and insurer (the rest wait for the next run). */
const POLL_BATCH = 200;

export interface InsurerPollDeps {
  readonly claims: ClaimRepository;
  readonly service: ClaimService;
  readonly registry: ParticipantRegistry;
  readonly adapters: AdapterRegistry;
  readonly logger: Logger;
}

/** What one run did. */
export interface PollRun {
  readonly sent: number;
  readonly replies: number;
  readonly problems: number;
  readonly polled: number;
  readonly answered: number;
}

/** One repeatable poll job per insurer whose registration gives delivery.pollIntervalSeconds. */
export const INSURER_POLL_SCHEDULE: InsurerSchedule = {
  queue: INSURER_POLL_QUEUE, prefix: 'poll', jobName: 'poll-insurer',
  intervalMs: (insurer) => (insurer.delivery.pollIntervalSeconds ? insurer.delivery.pollIntervalSeconds * 1000 : null),
};

/** Runs one poll of an insurer. */
export async function pollInsurer(insurerId: string, deps: InsurerPollDeps): Promise<PollRun> {
  const insurer = await deps.registry.get(insurerId);
  if (!insurer || insurer.kind !== 'insurer') throw new UnrecoverableError(`insurer ${insurerId} is not registered`);
  const adapter = deps.adapters.get(insurer.adapter);
  const query = { insurerId, settings: insurer.adapterSettings };
  const sent = adapter.sendBatch ? await adapter.sendBatch(query) : 0;
  let replies = 0;
  let problems = 0;
  if (adapter.fetchPendingResponses) {
    const pending = await adapter.fetchPendingResponses(query);
    ({ replies, problems } = await recordReplies(insurer, pending, deps));
    await pending.acknowledge();
  }
  let polled = 0;
  let answered = 0;
  if (adapter.fetchClaimResponse) {
    const pended = await deps.claims.takePendedToPoll(0, POLL_BATCH, { only: insurerId });
    for (const claim of pended) {
      polled++;
      if (await pollPendedClaim(claim, insurer, adapter, deps)) answered++;
    }
  }
  const run = { sent, replies, problems, polled, answered };
  if (sent + replies + problems + answered > 0) deps.logger.info({ insurer: insurerId, ...run }, 'insurer polled');
  return run;
}

/** Records the replies an insurer left, each for its own claim; the rest are problems for operators. */
async function recordReplies(insurer: Participant, pending: PendingResponses, deps: InsurerPollDeps): Promise<{ replies: number; problems: number }> {
  let replies = 0;
  let problems = pending.problems.length;
  for (const problem of pending.problems) deps.logger.warn({ insurer: insurer.id, source: problem.source, problem: problem.message }, 'insurer reply unreadable');
  for (const answer of pending.answers) {
    const claim = await deps.claims.get(answer.claimId);
    // A reply naming a claim of another insurer (or none) is never recorded: participants stay apart.
    if (!claim || claim.insurerId !== insurer.id) {
      problems++;
      deps.logger.warn({ insurer: insurer.id, source: answer.source }, 'insurer reply names a claim it was not sent');
      continue;
    }
    if ((await deps.service.recordInsurerAnswer(claim, answer.claimResponse)).created) replies++;
  }
  return { replies, problems };
}

/**
 * Asks the insurer about one pended claim; records its answer when final. Returns whether a new
 * answer was recorded. Failures are logged: the claim stays pended for the next poll.
 */
export async function pollPendedClaim(
  claim: ClaimRecord, insurer: Participant, adapter: InsurerAdapter, deps: { service: ClaimService; logger: Logger },
): Promise<boolean> {
  if (!adapter.fetchClaimResponse || !claim.bundle) return false;
  try {
    const latest = await adapter.fetchClaimResponse({
      claimId: claim.id, insurerId: insurer.id, settings: insurer.adapterSettings, bundle: claim.bundle, insurerReference: claim.insurerReference,
    });
    return Boolean(latest && latest.outcome !== 'queued' && (await deps.service.recordInsurerAnswer(claim, latest)).created);
  } catch (err) {
    deps.logger.warn({ claimId: claim.id, insurer: insurer.id, err: { message: (err as Error).message } }, 'polling a pended claim failed');
    return false;
  }
}

/** Starts the insurer poll worker (a few insurers at once; each run is sequential). */
export function startInsurerPollWorker(deps: InsurerPollDeps & { redis: RedisHandle; prefix: string }): Worker<InsurerPollJobData> {
  const worker = new Worker<InsurerPollJobData>(INSURER_POLL_QUEUE, async (job: Job<InsurerPollJobData>) => {
    const run = await pollInsurer(job.data.insurerId, deps);
    return `sent ${run.sent}, replies ${run.replies}, problems ${run.problems}, answered ${run.answered} of ${run.polled} polled`;
  }, { connection: deps.redis.workerConnection(), prefix: deps.prefix, concurrency: 4 });
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'insurer poll worker error'));
  return worker;
}
