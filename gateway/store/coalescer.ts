/**
 * Group commit for the statements that concurrent requests each issue for one row (an audit event, a
 * dispatched outbox job, a stored idempotent answer): the first caller's row is written at once; rows
 * that arrive while that write is running wait for it and are then written together, in one statement.
 * Nothing waits on a timer, so a lone request is not slowed down, and under load the statements (and the
 * commits, socket writes and server round trips that go with them) fall from one per request to one
 * per batch. A row counts as written when its caller's promise resolves, as it did when each caller ran
 * its own statement; a failed batch rejects every caller in it.
 */
export type Flush<T, R> = (items: readonly T[]) => Promise<readonly R[] | void>;

interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (err: unknown) => void;
}

/** Batches items for one flush function; one flush runs at a time. */
export class Coalescer<T, R = void> {
  private waiting: Array<Waiting<T, R>> = [];
  private active = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly flush: Flush<T, R>, private readonly maxBatch = 500) {}

  /** Writes this item with whatever else is waiting; resolves with the flush's result for it. */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.active) {
        this.active = true;
        this.running = this.drain();
      }
    });
  }

  /** Resolves once every item added so far is written (or has failed): before the database closes. */
  async idle(): Promise<void> {
    while (this.active) await this.running;
  }

  private async drain(): Promise<void> {
    // Items added in the same turn of the event loop go out together; the loop stops, and `active` is
    // cleared, in the same step that finds nothing waiting, so no item is ever left behind.
    await Promise.resolve();
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const results = await this.flush(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results?.[i] as R));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.active = false;
    }
  }
}
