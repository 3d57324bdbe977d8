/**
 * Per-insurer repeatable jobs (BullMQ job schedulers): the registry syncs and the insurer polls each keep
 * one scheduler per insurer that asks for one, and none for the others. Written to Redis only when an
 * insurer's interval changed since this process last wrote it, since every worker process calls this at
 * each refresh of the insurer list.
 */
import type { Participant, ParticipantRegistry } from '../gateway/participants/registry.js';
import type { QueueRegistry } from '../gateway/queue/queues.js';

/** One kind of per-insurer repeatable job. */
export interface InsurerSchedule {
  readonly queue: string;
  /** Scheduler id prefix: the scheduler of insurer x is `${prefix}-x`. */
  readonly prefix: string;
  readonly jobName: string;
  /** The insurer's interval in ms; null: no job for it. */
  intervalMs(insurer: Participant): number | null;
}

/** Brings the schedulers of one kind in line with the registry; known holds what this process last wrote. */
export async function scheduleInsurerJobs(
  deps: { registry: ParticipantRegistry; queues: QueueRegistry }, schedule: InsurerSchedule, known: Map<string, number | null>,
): Promise<void> {
  for (const insurer of await deps.registry.insurers()) {
    const every = insurer.status === 'active' ? schedule.intervalMs(insurer) : null;
    if (known.get(insurer.id) === every) continue;
    const queue = deps.queues.get(schedule.queue);
    if (every) {
      await queue.upsertJobScheduler(`${schedule.prefix}-${insurer.id}`, { every }, { name: schedule.jobName, data: { insurerId: insurer.id } });
    } else {
      await queue.removeJobScheduler(`${schedule.prefix}-${insurer.id}`);
    }
    known.set(insurer.id, every);
  }
}
