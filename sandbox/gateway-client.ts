// How the sandbox, acting as an insurer, posts to the gateway (a later answer, an information request, a
// payment): an OAuth client-credentials token (cached), then POST /fhir/{resourceType}. The gateway may be restarting or
// busy, so network errors, 5xx and 429 are retried with exponential backoff.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClaimResponse, Resource } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import { z } from 'zod';

/**
 * Retry policy. With the default 5 attempts and 500 ms doubling, the waits between attempts are
 * 500 + 1000 + 2000 + 4000 ms = 7.5 s at most before giving up (longer if the gateway sends Retry-After).
 */
export interface DeliveryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  /** Per-request timeout, so a hung gateway counts as a failed attempt. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { attempts: 5, baseDelayMs: 500, requestTimeoutMs: 10_000 };

/** Where and as whom to deliver. */
export interface GatewayClientOptions {
  readonly gatewayUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly policy: DeliveryPolicy;
  readonly logger: Logger;
}

/** A failed attempt; `retryable` says whether another attempt may succeed. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive().optional(),
});

/** Turns an HTTP failure status into a DeliveryError: 5xx and 429 are temporary, the rest permanent. */
function statusError(what: string, response: Response): DeliveryError {
  const retryAfter = Number(response.headers.get('retry-after'));
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined;
  const retryable = response.status >= 500 || response.status === 429;
  return new DeliveryError(`${what} answered HTTP ${response.status}`, retryable, retryAfterMs);
}

/** Posts ClaimResponses to the gateway as one insurer's OAuth client. */
export class GatewayClient {
  private token?: { value: string; refreshAt: number };

  constructor(private readonly options: GatewayClientOptions) {}

  /**
   * Delivers a ClaimResponse, retrying temporary failures per the policy.
   * @throws DeliveryError when a permanent failure occurs or the attempts run out; AbortError on close.
   */
  async postClaimResponse(response: ClaimResponse, signal: AbortSignal): Promise<void> {
    await this.post(response, `sandbox-claim-response-${response.id ?? 'unknown'}`, signal);
  }

  /**
   * POSTs a resource to the gateway (POST /fhir/{resourceType}), retrying temporary failures per the
   * policy with the same Idempotency-Key; returns the id the gateway gave it (from Location).
   * @throws DeliveryError when a permanent failure occurs or the attempts run out; AbortError on close.
   */
  async post(resource: Resource, idempotencyKey: string, signal: AbortSignal): Promise<string | undefined> {
    const { attempts, baseDelayMs } = this.options.policy;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.tryPost(resource, idempotencyKey, signal);
      } catch (err) {
        const failure = asDeliveryError(err);
        if (signal.aborted || !failure.retryable || attempt >= attempts) {
          throw signal.aborted ? err : failure;
        }
        const delay = Math.max(baseDelayMs * 2 ** (attempt - 1), failure.retryAfterMs ?? 0);
        this.options.logger.warn({ resourceType: resource.resourceType, id: resource.id, attempt, delayMs: delay, reason: failure.message }, 'gateway delivery failed, retrying');
        await sleep(delay, undefined, { signal });
      }
    }
  }

  private async tryPost(resource: Resource, idempotencyKey: string, signal: AbortSignal): Promise<string | undefined> {
    const token = await this.accessToken(signal);
    const answer = await fetch(new URL(`fhir/${resource.resourceType}`, this.base()), {
      method: 'POST',
      headers: {
        'content-type': 'application/fhir+json',
        accept: 'application/fhir+json',
        authorization: `Bearer ${token}`,
        // Same key on every attempt: if a 201 is lost on the way back, the retry is a replay, not a duplicate.
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(resource),
      signal: this.requestSignal(signal),
    });
    await answer.body?.cancel();
    if (answer.status === 401) {
      // The gateway may have restarted and forgotten the token: fetch a new one on the next attempt.
      this.token = undefined;
      throw new DeliveryError('gateway refused the access token (HTTP 401)', true);
    }
    if (!answer.ok) {
      throw statusError(`POST /fhir/${resource.resourceType}`, answer);
    }
    return /\/([A-Za-z0-9\-.]{1,64})$/.exec(answer.headers.get('location') ?? '')?.[1];
  }

  private async accessToken(signal: AbortSignal): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) {
      return this.token.value;
    }
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
    });
    const answer = await fetch(new URL('auth/token', this.base()), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: this.requestSignal(signal),
    });
    if (!answer.ok) {
      await answer.body?.cancel();
      throw statusError('POST /auth/token', answer);
    }
    const parsed = tokenSchema.safeParse(await answer.json().catch(() => undefined));
    if (!parsed.success) {
      throw new DeliveryError('POST /auth/token answered without a usable access_token', false);
    }
    const lifetimeMs = (parsed.data.expires_in ?? 300) * 1000;
    // Refresh a little before expiry (30 s, or a tenth of a short lifetime) so no request races it.
    const refreshAt = Date.now() + lifetimeMs - Math.min(30_000, lifetimeMs / 10);
    this.token = { value: parsed.data.access_token, refreshAt };
    return this.token.value;
  }

  /** Gateway base URL with a trailing slash, so relative paths keep any path prefix it has. */
  private base(): string {
    const url = this.options.gatewayUrl;
    return url.endsWith('/') ? url : `${url}/`;
  }

  private requestSignal(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.options.policy.requestTimeoutMs)]);
  }
}

/** Network errors (fetch's TypeError, timeouts) are temporary; DeliveryErrors say for themselves. */
function asDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) {
    return err;
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new DeliveryError(`gateway unreachable (${message})`, true);
}
