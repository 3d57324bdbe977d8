/**
 * Transactional outbox: a job is written to PostgreSQL in the same transaction as the state change that
 * needs it, added to BullMQ right after commit, and, should the process die or Redis be down in between,
 * added later by the relay. BullMQ job ids come from the outbox row, so a re-add never duplicates a job,
 * and every processor re-reads state, so a job that runs twice has one effect.
 */
import type { Database, Queryable } from '../store/database.js';
import type { Logger } from '../logger.js';
import type { QueueRegistry } from './queues.js';
import { Coalescer } from '../store/coalescer.js';

/** One job to add: queue, name, a stable job id, and a payload of ids only. */
export interface OutboxMessage {
  readonly queue: string;
  readonly jobName: string;
  readonly jobId: string;
  readonly payload: Readonly<Record<string, string>>;
  /** Run no sooner than this many ms after the job is added. */
  readonly delayMs?: number;
}

/**
 * The statement part that records messages (a writable CTE, outbox_rows), so that they can go in the
 * same statement as the state change that needs them; `param` is the placeholder of outboxRows(messages),
 * and `onlyIf` a condition the statement's other parts decide (the messages are written only if it holds;
 * it may name `m.owner`, the owner outboxRows was given with each message, to keep the messages of some rows only).
 * A message already recorded is kept as it was.
 */
export function outboxCte(param: string, onlyIf = 'true'): string {
  return `outbox_rows as (insert into outbox (queue, job_name, job_id, payload, delay_ms)
      select m.queue, m.job_name, m.job_id, m.payload, m.delay_ms
        from json_to_recordset(${param}::json) as m(n int, owner uuid, queue text, job_name text, job_id text, payload jsonb, delay_ms int) where ${onlyIf} order by m.n
      on conflict (job_id) do nothing)`;
}

/** The parameter outboxCte reads: the messages as JSON, each with the id of the row it belongs to (`owner`) when given. */
export function outboxRows(messages: ReadonlyArray<OutboxMessage & { readonly owner?: string }>): string {
  return JSON.stringify(messages.map((m, n) => ({ n, owner: m.owner ?? null, queue: m.queue, job_name: m.jobName, job_id: m.jobId, payload: m.payload, delay_ms: m.delayMs ?? null })));
}

/** Records messages inside the caller's transaction, in one statement; a message already recorded is kept as it was. */
export async function writeOutbox(tx: Queryable, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await tx.query(`with ${outboxCte('$1')} select 1`, [outboxRows(messages)]);
}

interface OutboxRow {
  queue: string;
  job_name: string;
  job_id: string;
  payload: Record<string, string>;
  delay_ms: number | null;
}

/** Adds recorded messages to their queues: at once after commit, and periodically for leftovers. */
export class OutboxDispatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  /**
   * Dispatches of concurrent callers, added to Redis and marked dispatched together (group commit). Not
   * one of the store's writers (db.batched): closing the store must not wait on Redis, and a dispatch
   * cut short loses nothing, its rows stay in the outbox for the relay.
   */
  private readonly together = new Coalescer(async (batches: ReadonlyArray<readonly OutboxMessage[]>) => {
    const ok = await this.dispatchNow(batches.flat());
    return batches.map(() => ok);
  }, 200);

  constructor(
    private readonly db: Database,
    private readonly queues: QueueRegistry,
    private readonly logger: Logger,
  ) {}

  /**
   * Adds these messages now (with those that other callers dispatch at the same time: one addBulk per
   * queue and one update for all). Never throws: when Redis is down the messages stay in the outbox
   * and the relay adds them once it is back, so the caller's answer (202) still holds.
   */
  async dispatch(messages: readonly OutboxMessage[]): Promise<boolean> {
    if (messages.length === 0) return true;
    return this.together.add(messages);
  }

  /**
   * Dispatches these messages without the caller waiting: for an HTTP answer that needs them recorded, not
   * queued (an accepted claim, a queued eligibility request, a received exchange). They are in the outbox,
   * committed with the change that made them, so a dispatch that never finishes loses nothing: the relay
   * adds them. The answer goes out one Redis round trip and one statement sooner, and under load without
   * waiting for the batch in flight. idle() waits for them. Workers await dispatch() instead.
   */
  dispatchSoon(messages: readonly OutboxMessage[]): void {
    // dispatch() reports a failed add itself; this only keeps anything else from becoming an unhandled rejection.
    this.dispatch(messages).catch((err: unknown) => this.logger.warn({ err: { message: (err as Error).message } }, 'job dispatch failed: the jobs stay in the outbox for the relay'));
  }

  /** Resolves once every dispatch started so far has finished (before the queues close). */
  async idle(): Promise<void> {
    await this.together.idle();
  }

  private async dispatchNow(messages: readonly OutboxMessage[]): Promise<boolean> {
    try {
      await this.add(messages);
      await this.db.query('update outbox set dispatched_at = now() where job_id = any($1) and dispatched_at is null', [
        messages.map((m) => m.jobId),
      ], { name: 'outbox-dispatched' });
      return true;
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, jobs: messages.map((m) => m.jobId) },
        'queue unavailable: jobs stay in the outbox for the relay');
      await this.queues.reset();
      return false;
    }
  }

  /** One relay pass: adds messages left undispatched for longer than graceMs. Returns how many. */
  relayOnce(graceMs = 1000): Promise<number> {
    // Passes never overlap within a process; across processes, SKIP LOCKED shares the rows out.
    this.running ??= this.relay(graceMs).finally(() => (this.running = undefined));
    return this.running;
  }

  private async relay(graceMs: number): Promise<number> {
    const rows = await this.relayBatch(graceMs).catch(async (err: unknown) => {
      await this.queues.reset();
      throw err;
    });
    if (rows.length > 0) {
      this.logger.info({ count: rows.length }, 'outbox relay added jobs left undispatched');
    }
    return rows.length;
  }

  private relayBatch(graceMs: number): Promise<OutboxRow[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<OutboxRow>(
        `select queue, job_name, job_id, payload, delay_ms from outbox
         where dispatched_at is null and created_at < now() - ($1::int * interval '1 millisecond')
         order by id limit 500 for update skip locked`,
        [graceMs],
      );
      if (rows.length === 0) return rows;
      await this.add(rows.map(toMessage));
      await tx.query('update outbox set dispatched_at = now() where job_id = any($1)', [rows.map((r) => r.job_id)]);
      return rows;
    });
  }

  /** Runs the relay every intervalMs until stop(). */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.relayOnce().catch((err: Error) => this.logger.warn({ err: { message: err.message } }, 'outbox relay pass failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the relay and waits for a pass in progress; safe to call twice. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async add(messages: readonly OutboxMessage[]): Promise<void> {
    const byQueue = new Map<string, OutboxMessage[]>();
    for (const m of messages) {
      const batch = byQueue.get(m.queue);
      if (batch) batch.push(m);
      else byQueue.set(m.queue, [m]);
    }
    for (const [queue, batch] of byQueue) {
      await this.queues.get(queue).addBulk(batch.map((m) => ({ name: m.jobName, data: m.payload, opts: { jobId: m.jobId, ...(m.delayMs ? { delay: m.delayMs } : {}) } })));
    }
  }
}

function toMessage(row: OutboxRow): OutboxMessage {
  return { queue: row.queue, jobName: row.job_name, jobId: row.job_id, payload: row.payload, ...(row.delay_ms ? { delayMs: row.delay_ms } : {}) };
}
