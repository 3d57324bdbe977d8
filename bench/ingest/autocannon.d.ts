/** The part of autocannon 8 (a CommonJS devDependency without types) the ingest benchmark uses. */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called whenever the request is built (every request of a connection); returns the request to send. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
    }

    interface Options {
      /** Put the path in the URL: a separate `path` option is ignored. */
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Requests per second over all connections, each connection sending its share at the start of each second. */
      overallRate?: number;
      method?: string;
      headers?: Record<string, string>;
      requests?: Request[];
      /** Seconds before a request counts as a timeout. */
      timeout?: number;
    }

    interface Result {
      /** Seconds. */
      duration: number;
      start: Date;
      finish: Date;
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      statusCodeStats: Record<string, { count: number }>;
      requests: { sent: number; average: number; total: number };
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      /** Every response: (client, statusCode, resBytes, responseTime in ms). */
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
