/**
 * Limits per participant, after authentication: requests per minute (counted in Redis, so every API
 * process shares the count; 429 with Retry-After beyond it) and request size (413). Each participant's
 * registry entry may set its own limits; otherwise the gateway's defaults apply. Should Redis be down,
 * or not answer within its connection's command timeout (REQUEST_PATH_COMMAND_TIMEOUT_MS, 250 ms), an in-process
 * limiter takes over rather than failing or holding the request.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RedisConnection } from '../queue/redis.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { gatewayError } from '../fhir/outcomes.js';
import type { ParticipantRegistry } from '../participants/registry.js';

/** The gateway's default limits. */
export interface LimitDefaults {
  readonly requestsPerMinute: number;
  readonly maxBodyBytes: number;
  readonly maxBundleEntries: number;
}

/** Applies each participant's limits. */
export class ParticipantLimits {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  private redis?: RedisConnection;

  /** connect() is called on first use only: worker-only processes never open this connection. */
  constructor(private readonly connect: () => RedisConnection, private readonly keyPrefix: string, readonly defaults: LimitDefaults, private readonly registry: ParticipantRegistry) {}

  private limiter(perMinute: number): RateLimiterRedis {
    let limiter = this.limiters.get(perMinute);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: (this.redis ??= this.connect()), keyPrefix: `${this.keyPrefix}:rate:${perMinute}`, points: perMinute, duration: 60,
        insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
      });
      this.limiters.set(perMinute, limiter);
    }
    return limiter;
  }

  /** Counts one request under key against perMinute; 0 when allowed, else the milliseconds to wait. */
  async consume(key: string, perMinute: number): Promise<number> {
    try {
      await this.limiter(perMinute).consume(key);
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1000, err.msBeforeNext);
      throw err;
    }
  }

  /** Middleware: counts the request against the caller's rate, and checks its declared size. */
  middleware(): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction) => {
      const caller = req.caller;
      if (!caller) return next();
      const limits = (await this.registry.get(caller.participantId))?.limits ?? {};
      const perMinute = limits.requestsPerMinute ?? this.defaults.requestsPerMinute;
      const wait = await this.consume(caller.participantId, perMinute);
      if (wait > 0) {
        res.set('Retry-After', String(Math.ceil(wait / 1000)));
        throw gatewayError('rate-limited', { en: `More than ${perMinute} requests in a minute from ${caller.participantId}; retry after ${Math.ceil(wait / 1000)} s`, fr: `Plus de ${perMinute} requêtes en une minute de la part de ${caller.participantId} ; réessayez dans ${Math.ceil(wait / 1000)} s` });
      }
      const maxBody = limits.maxBodyBytes ?? this.defaults.maxBodyBytes;
      const declared = Number(req.get('content-length') ?? 0);
      if (declared > maxBody) throw gatewayError('body-too-large', { en: `The body is larger than this participant's limit of ${maxBody} bytes`, fr: `Le corps de la requête dépasse la limite de ${maxBody} octets fixée pour ce participant` });
      next();
    };
  }

  /** The most entries a bundle from this participant may hold. */
  async maxBundleEntries(participantId: string): Promise<number> {
    return (await this.registry.get(participantId))?.limits.maxBundleEntries ?? this.defaults.maxBundleEntries;
  }
}
