/**
 * Provider callbacks: pushes each insurer ClaimResponse to the provider's callback Endpoint, so a
 * provider that registered one does not have to poll. Every push is signed (HMAC-SHA256 with the
 * provider's callback secret over "{timestamp}.{body}") so the provider can check it came from the
 * gateway and is fresh; see docs/architecture.md for verification. When the gateway's signing keys are
 * given, every push also carries a detached JWS by the gateway's own key (Passerelle-JWS), which anyone
 * can check with the public keys at /.well-known/jwks.json and no shared secret; see docs/security.md.
 *
 * Retry policy: network errors, 5xx, 408 and 429 are retried, CALLBACK_ATTEMPTS tries in all (default
 * 10), waiting CALLBACK_BACKOFF_MS × 2^(n−1) before try n+1 (default 2 s … 512 s, about 17 minutes).
 * Any other 4xx is final. The pull API keeps every response available whatever happens to pushes.
 *
 * Safe to run twice: the processor re-reads the response, and the provider receives its id in
 * Passerelle-Delivery-Id to discard a push it already has.
 */
import { createHmac } from 'node:crypto';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { CompactSign } from 'jose';
import type { SigningKeys } from '../gateway/auth/signing-keys.js';
import type { ClientStore } from '../gateway/auth/clients.js';
import { encryptionKeyOf, encryptTo } from '../gateway/auth/payload-encryption.js';
import type { ClaimRepository } from '../gateway/claims/claim-repository.js';
import type { Logger } from '../gateway/logger.js';
import type { ParticipantRegistry } from '../gateway/participants/registry.js';
import type { RedisHandle } from '../gateway/queue/redis.js';
import { CALLBACK_QUEUE, type CallbackJobData } from './jobs.js';

export const SIGNATURE_HEADER = 'Passerelle-Signature';
export const DELIVERY_ID_HEADER = 'Passerelle-Delivery-Id';
export const JWS_HEADER = 'Passerelle-JWS';
/** Protected header parameter of the JWS holding the delivery id, so Passerelle-Delivery-Id cannot be swapped. */
export const JWS_DELIVERY_ID_PARAM = 'urn:passerelle:delivery-id';

export interface CallbackDeps {
  readonly claims: ClaimRepository;
  readonly registry: ParticipantRegistry;
  readonly logger: Logger;
  readonly timeoutMs: number;
  /** The gateway's signing keys: every push carries a Passerelle-JWS besides the HMAC signature. */
  readonly signingKeys: SigningKeys;
  /** To find a provider's encryption key when it asked for encrypted pushes. */
  readonly clients: ClientStore;
}

/** The signature header value for a body: t={unix seconds},v1={hex HMAC-SHA256 of "t.body"}. */
export function signCallback(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** What the JWS protected header binds besides alg, kid and typ. */
export interface CallbackJwsParams {
  readonly deliveryId: string;
  /** Participant id of the receiver (aud), so a push cannot be replayed to another participant. */
  readonly recipient: string;
  /** Unix seconds (iat), the same instant as the HMAC signature's t. */
  readonly issuedAt: number;
}

/**
 * A detached compact JWS (RFC 7515 Appendix F) over the exact body bytes with the gateway's current
 * key: "<protected header>..<signature>". The receiver puts base64url(body) back in the middle to verify.
 */
export async function signCallbackJws(keys: SigningKeys, body: string, params: CallbackJwsParams): Promise<string> {
  const { kid, alg, privateKey } = await keys.current();
  const jws = await new CompactSign(new TextEncoder().encode(body))
    .setProtectedHeader({ alg, kid, typ: 'JOSE', iat: params.issuedAt, aud: params.recipient, [JWS_DELIVERY_ID_PARAM]: params.deliveryId })
    .sign(privateKey);
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

/** Pushes one ClaimResponse; returns what happened. */
export async function processCallback(job: Job<CallbackJobData>, deps: CallbackDeps): Promise<string> {
  const response = await deps.claims.response(job.data.claimResponseId);
  const claim = response ? await deps.claims.get(response.claimId) : undefined;
  if (!response || !claim) return 'obsolete: no such response';
  if (!response.resource) return 'obsolete: purged';
  const provider = await deps.registry.get(claim.providerId);
  if (!provider?.callbackUrl || !provider.callbackSecret) return 'obsolete: provider has no callback';
  let body = JSON.stringify(response.resource);
  if (provider.encryptPayloads) {
    const key = await encryptionKeyOf(provider.id, deps.clients);
    if (!key) {
      await deps.claims.addEvent(claim.id, 'push-failed', { claimResponse: response.id, error: 'the provider asked for encryption but registered no "enc" key' });
      throw new UnrecoverableError('the provider asked for encrypted pushes but registered no encryption key');
    }
    body = await encryptTo(key, body); // signatures below cover what is sent: the envelope
  }
  const now = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'Content-Type': 'application/fhir+json', [SIGNATURE_HEADER]: signCallback(provider.callbackSecret, body, now), [DELIVERY_ID_HEADER]: response.id,
    [JWS_HEADER]: await signCallbackJws(deps.signingKeys, body, { deliveryId: response.id, recipient: provider.id, issuedAt: now }),
  };
  let status: number;
  try {
    const answer = await fetch(provider.callbackUrl, { method: 'POST', body, headers, signal: AbortSignal.timeout(deps.timeoutMs) });
    status = answer.status;
    await answer.body?.cancel();
  } catch (err) {
    await deps.claims.addEvent(claim.id, 'push-retry', { claimResponse: response.id, error: (err as Error).message });
    throw new Error(`callback unreachable: ${(err as Error).message}`, { cause: err });
  }
  if (status >= 200 && status < 300) {
    await deps.claims.addEvent(claim.id, 'pushed', { claimResponse: response.id });
    return `pushed: HTTP ${status}`;
  }
  const final = !(status >= 500 || status === 408 || status === 429);
  await deps.claims.addEvent(claim.id, final ? 'push-failed' : 'push-retry', { claimResponse: response.id, httpStatus: status });
  throw final ? new UnrecoverableError(`callback refused: HTTP ${status}`) : new Error(`callback answered HTTP ${status}`);
}

/** Starts the callback worker. */
export function startCallbackWorker(deps: CallbackDeps & { redis: RedisHandle; prefix: string }): Worker<CallbackJobData> {
  const worker = new Worker<CallbackJobData>(CALLBACK_QUEUE, (job) => processCallback(job, deps), {
    connection: deps.redis.workerConnection(), prefix: deps.prefix, concurrency: 20,
  });
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'callback worker error'));
  return worker;
}
