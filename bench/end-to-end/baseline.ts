/**
 * The end-to-end benchmark's baseline: bare BullMQ on the same Redis. Queue.addBulk of the same number
 * of jobs, shaped as the gateway's delivery jobs (name, id and data of a claim's job, the delivery
 * queue's retry and retention options), and one Worker with the same concurrency whose processor does
 * nothing: what the queue alone costs to carry the claims from producer to processor. Run in the
 * benchmark process, with nothing else running in it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { summarise, type Timing } from '../harness/measure.js';

/** Jobs a single addBulk carries; the gateway's relay and dispatch add in batches too. */
const ADD_BATCH = 1000;

/** The gateway's delivery job options (gateway/runtime.ts jobOptions), with the built-in exponential backoff. */
const JOB_OPTIONS = {
  attempts: 10, backoff: { type: 'exponential' as const, delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 30 * 24 * 3600 },
};

export interface BareQueueOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly jobs: number;
  readonly concurrency: number;
  /**
   * false: the worker runs while the jobs are added (as claims arrive); true: every job is added
   * first, and the clock starts with the worker (as a worker draining a backlog).
   */
  readonly preload: boolean;
}

export interface BareQueueRun {
  readonly jobs: number;
  readonly ms: number;
  readonly perSecond: number;
  /** Job creation (job.timestamp) to finishedOn, per job. */
  readonly latency: Timing;
}

/** One run of the baseline (see the module comment); the queue is obliterated afterwards. */
export async function bareBullmq(options: BareQueueOptions): Promise<BareQueueRun> {
  const name = `bare-delivery-${randomBytes(4).toString('hex')}`;
  const producer = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const consumer = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: producer, prefix: options.prefix, defaultJobOptions: JOB_OPTIONS });
  let worker: Worker | undefined;
  try {
    const latencies: number[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const startWorker = () => {
      worker = new Worker(name, async () => 'answered', { connection: consumer, prefix: options.prefix, concurrency: options.concurrency });
      worker.on('completed', (job: Job) => {
        latencies.push((job.finishedOn ?? Date.now()) - job.timestamp);
        if (latencies.length === options.jobs) resolveDone();
      });
    };
    let started = performance.now();
    if (!options.preload) startWorker();
    for (let from = 0; from < options.jobs; from += ADD_BATCH) {
      const batch = Array.from({ length: Math.min(ADD_BATCH, options.jobs - from) }, () => {
        const claimId = randomUUID();
        return { name: 'deliver-claim', data: { claimId }, opts: { jobId: `claim-${claimId}` } };
      });
      await queue.addBulk(batch);
    }
    if (options.preload) {
      started = performance.now();
      startWorker();
    }
    await done;
    const ms = performance.now() - started;
    return { jobs: options.jobs, ms, perSecond: options.jobs / (ms / 1000), latency: summarise(latencies) };
  } finally {
    await worker?.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
  }
}
