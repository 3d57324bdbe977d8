/**
 * Provider callbacks: pushes each insurer ClaimResponse, the final answer of each eligibility request
 * answered "queued", and each message an insurer sends about a claim (information request, payment
 * reconciliation or notice), to the provider's callback Endpoint, so a provider that registered one does not
 * have to poll. Every push is signed (HMAC-SHA256 with the
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
import type { Participant, ParticipantRegistry } from '../gateway/participants/registry.js';
import type { EligibilityRepository } from '../gateway/eligibility/eligibility-repository.js';
import type { ExchangeRepository } from '../gateway/exchanges/exchange-repository.js';
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
  /** Eligibility requests, whose final answers are pushed too. */
  readonly eligibilityRequests: EligibilityRepository;
  /** Insurers' messages about claims, pushed too. */
  readonly exchanges: ExchangeRepository;
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

/** Pushes one ClaimResponse, or the final answer of a queued eligibility request; returns what happened. */
export async function processCallback(job: Job<CallbackJobData>, deps: CallbackDeps): Promise<string> {
  if ('eligibilityRequestId' in job.data) return pushEligibilityResponse(job.data.eligibilityRequestId, deps);
  if ('exchangeId' in job.data) return pushExchange(job.data.exchangeId, deps);
  const response = await deps.claims.response(job.data.claimResponseId);
  const claim = response ? await deps.claims.get(response.claimId) : undefined;
  if (!response || !claim) return 'obsolete: no such response';
  if (!response.resource) return 'obsolete: purged';
  const provider = await deps.registry.get(claim.providerId);
  if (!provider?.callbackUrl || !provider.callbackSecret) return 'obsolete: provider has no callback';
  const result = await push(provider as PushTarget, response.resource, response.id, deps);
  if (result.ok) {
    await deps.claims.addEvent(claim.id, 'pushed', { claimResponse: response.id });
    return `pushed: HTTP ${result.status}`;
  }
  await deps.claims.addEvent(claim.id, result.final ? 'push-failed' : 'push-retry', { claimResponse: response.id, ...(result.status ? { httpStatus: result.status } : { error: result.error }) });
  throw result.final ? new UnrecoverableError(result.error) : new Error(result.error);
}

async function pushEligibilityResponse(eligibilityRequestId: string, deps: CallbackDeps): Promise<string> {
  const record = await deps.eligibilityRequests.get(eligibilityRequestId);
  if (!record?.response) return 'obsolete: no answer to push';
  const provider = await deps.registry.get(record.providerId);
  if (!provider?.callbackUrl || !provider.callbackSecret) return 'obsolete: provider has no callback';
  const result = await push(provider as PushTarget, record.response, record.response.id, deps);
  if (result.ok) return `pushed: HTTP ${result.status}`;
  deps.logger.warn({ eligibilityRequest: record.id, provider: provider.id, final: result.final, httpStatus: result.status }, 'eligibility answer push failed');
  throw result.final ? new UnrecoverableError(result.error) : new Error(result.error);
}

async function pushExchange(exchangeId: string, deps: CallbackDeps): Promise<string> {
  const exchange = await deps.exchanges.get(exchangeId);
  if (!exchange?.resource) return 'obsolete: no such message, or purged';
  const provider = await deps.registry.get(exchange.recipientId);
  if (provider?.kind !== 'provider' || !provider.callbackUrl || !provider.callbackSecret) return 'obsolete: provider has no callback';
  const result = await push(provider as PushTarget, exchange.resource, exchange.id, deps);
  if (result.ok) {
    await deps.exchanges.markDelivered(exchange.id);
    await deps.exchanges.addClaimEvents(exchange, 'pushed', {});
    return `pushed: HTTP ${result.status}`;
  }
  await deps.exchanges.markFailed(exchange.id, result.error);
  await deps.exchanges.addClaimEvents(exchange, result.final ? 'push-failed' : 'push-retry', result.status ? { httpStatus: result.status } : { error: result.error });
  throw result.final ? new UnrecoverableError(result.error) : new Error(result.error);
}

type PushTarget = Participant & { readonly callbackUrl: string; readonly callbackSecret: string };
type PushResult = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly final: boolean; readonly status?: number; readonly error: string };

/** POSTs a resource to the provider's callback, signed (and encrypted when it asked), and says how it went. */
async function push(provider: PushTarget, resource: object, deliveryId: string, deps: CallbackDeps): Promise<PushResult> {
  let body = JSON.stringify(resource);
  if (provider.encryptPayloads) {
    const key = await encryptionKeyOf(provider.id, deps.clients);
    if (!key) return { ok: false, final: true, error: 'the provider asked for encrypted pushes but registered no "enc" key' };
    body = await encryptTo(key, body); // signatures below cover what is sent: the envelope
  }
  const now = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'Content-Type': 'application/fhir+json', [SIGNATURE_HEADER]: signCallback(provider.callbackSecret, body, now), [DELIVERY_ID_HEADER]: deliveryId,
    [JWS_HEADER]: await signCallbackJws(deps.signingKeys, body, { deliveryId, recipient: provider.id, issuedAt: now }),
  };
  let status: number;
  try {
    const answer = await fetch(provider.callbackUrl, { method: 'POST', body, headers, signal: AbortSignal.timeout(deps.timeoutMs) });
    status = answer.status;
    await answer.body?.cancel();
  } catch (err) {
    return { ok: false, final: false, error: `callback unreachable: ${(err as Error).message}` };
  }
  if (status >= 200 && status < 300) return { ok: true, status };
  const final = !(status >= 500 || status === 408 || status === 429);
  return { ok: false, final, status, error: final ? `callback refused: HTTP ${status}` : `callback answered HTTP ${status}` };
}

/** Starts the callback worker. */
export function startCallbackWorker(deps: CallbackDeps & { redis: RedisHandle; prefix: string }): Worker<CallbackJobData> {
  const worker = new Worker<CallbackJobData>(CALLBACK_QUEUE, (job) => processCallback(job, deps), {
    connection: deps.redis.workerConnection(), prefix: deps.prefix, concurrency: 20,
  });
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'callback worker error'));
  return worker;
}
