/**
 * How many bytes of request bodies one process parses and validates at once. A FHIR bundle parsed takes
 * about 2.5 times its bytes in the V8 heap, and validating it about as much again, so under the heap cap
 * a gateway process runs with (scripts/gateway.sh) a handful of bodies near BODY_LIMIT_BYTES arriving
 * together could exhaust the heap and end the process, with every request in it. Bodies therefore take
 * their size from a budget while they are handled (from their last byte read to their answer sent): a
 * body that does not fit waits, in arrival order, until earlier ones are answered, and after
 * maxWaitMs gets 503 gateway-busy with Retry-After. A body larger than the whole budget runs alone.
 * Small bodies are never held up by each other: the budget is many times the usual claim.
 */
import { getHeapStatistics } from 'node:v8';
import { gatewayError } from '../fhir/outcomes.js';

/** The default budget: a twelfth of the heap limit (16 MiB under the default 192 MiB cap), at least one body at the size limit. */
export function defaultBodyBudget(limitBytes: number): number {
  return Math.max(limitBytes, Math.floor(getHeapStatistics().heap_size_limit / 12));
}

interface Waiter {
  readonly bytes: number;
  readonly grant: () => void;
}

/** A byte budget shared by the requests of one process. */
export class BodyBudget {
  private inUse = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly capacity: number, private readonly maxWaitMs = 10_000) {}

  /** Bytes taken by bodies being handled now. */
  get used(): number {
    return this.inUse;
  }

  /** Bodies waiting for room. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Takes `bytes` from the budget, waiting for room if need be; resolves with the function that gives
   * them back (safe to call twice). Throws 503 gateway-busy when no room came within maxWaitMs.
   */
  async take(bytes: number): Promise<() => void> {
    if (this.queue.length === 0 && this.fits(bytes)) return this.granted(bytes);
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          resolve(this.granted(bytes));
        },
      };
      const timer = setTimeout(() => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        this.admit();
        const seconds = Math.max(1, Math.ceil(this.maxWaitMs / 1000));
        reject(Object.assign(gatewayError('gateway-busy', {
          en: `The gateway is handling too many large requests at once; retry in ${seconds} s`,
          fr: `La passerelle traite trop de requêtes volumineuses à la fois ; réessayez dans ${seconds} s`,
        }), { retryAfterSeconds: seconds }));
      }, this.maxWaitMs);
      this.queue.push(waiter);
    });
  }

  private fits(bytes: number): boolean {
    return this.inUse === 0 || this.inUse + bytes <= this.capacity;
  }

  private granted(bytes: number): () => void {
    this.inUse += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.inUse -= bytes;
      this.admit();
    };
  }

  /** Lets waiting bodies in, in arrival order, while they fit. */
  private admit(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.bytes)) this.queue.shift()!.grant();
  }
}
