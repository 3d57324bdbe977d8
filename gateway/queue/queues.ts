/**
 * The producer side of every BullMQ queue, opened on demand by name and shared, with the job options
 * of its kind (delivery, callback) so producers never repeat retry policy.
 */
import { Queue, type DefaultJobOptions } from 'bullmq';
import type { RedisHandle } from './redis.js';

/** Opens queues by name with one shared producer connection and a per-name default job policy. */
export class QueueRegistry {
  private readonly queues = new Map<string, Queue>();
  private connection?: ReturnType<RedisHandle['producerConnection']>;

  constructor(
    private readonly redis: RedisHandle,
    readonly prefix: string,
    private readonly jobOptionsFor: (queueName: string) => DefaultJobOptions,
  ) {}

  /** The queue of this name, opened once. */
  get(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      this.connection ??= this.redis.producerConnection();
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        skipWaitingForReady: true,
        defaultJobOptions: this.jobOptionsFor(name),
      });
      queue.on('error', () => undefined); // producer errors surface on add()
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Names of the queues opened so far. */
  names(): string[] {
    return [...this.queues.keys()];
  }

  /**
   * Drops every queue and the producer connection, to be opened afresh on next use. Called after a
   * failed add: a BullMQ queue whose first command failed (Redis down) stays broken, even once Redis
   * is back, so it must not be reused.
   */
  async reset(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await this.close();
    connection?.disconnect();
  }

  /** Closes every queue; safe to call twice. */
  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.allSettled(queues.map((q) => q.close()));
  }
}
