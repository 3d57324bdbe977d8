/**
 * The http-json transport: the mapped record POSTed to the insurer's JSON API, its reply mapped back.
 * Network errors, timeouts, 408, 429, 5xx and unreadable answers may pass later (TransientDeliveryError,
 * with Retry-After); another 4xx is the insurer's final refusal, its error text carried to the provider.
 */
import type { Claim, ClaimResponse, OperationOutcome } from '@medplum/fhirtypes';
import { TransientDeliveryError, type DeliveryResult } from '../adapter.js';
import { retryAfterMs } from '../fhir-generic/adapter.js';
import type { MappingSettings } from './adapter-settings.js';
import { mapReply } from './map-reply.js';
import { ReplyError } from './reply-error.js';
import { replyText, replyValues } from './reply-values.js';
import { compiledSpec } from './compile-spec.js';

type HttpSettings = Extract<MappingSettings, { kind: 'http-json' }>;

/** One exchange with the insurer: what it needs besides the settings. */
export interface HttpCall {
  readonly claimId: string;
  readonly claim: Claim;
  readonly defaultTimeoutMs: number;
  readonly signal?: AbortSignal;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly text: string;
}

/** Sends a mapped record; the insurer's answer as a DeliveryResult. */
export async function submitOverHttp(settings: HttpSettings, record: unknown, call: HttpCall & { idempotencyKey: string }): Promise<DeliveryResult> {
  const { spec } = settings;
  if (spec.transport.kind !== 'http-json') throw new Error(`mapping ${spec.id} is not sent over HTTP`);
  const answer = await exchange(settings, call, spec.transport.submit.method, spec.transport.submit.path, {
    'Content-Type': 'application/json', 'Idempotency-Key': call.idempotencyKey,
  }, JSON.stringify(record));
  if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
    return { kind: 'refused', httpStatus: answer.status, outcome: refusalOutcome(settings, answer) };
  }
  const { claimResponse, insurerReference } = readAnswer(settings, answer, call);
  return { kind: 'answered', claimResponse, ...(insurerReference === undefined ? {} : { insurerReference }) };
}

/** Asks the insurer for its answer to a claim (the spec's status endpoint); undefined on 404 or without one. */
export async function fetchOverHttp(settings: HttpSettings, call: HttpCall): Promise<ClaimResponse | undefined> {
  const { spec } = settings;
  if (spec.transport.kind !== 'http-json' || !spec.transport.status) return undefined;
  const path = spec.transport.status.path.replace(/\{claimId\}/g, encodeURIComponent(call.claimId));
  const answer = await exchange(settings, call, 'GET', path, {});
  if (answer.status === 404) return undefined;
  if (answer.status >= 400) throw new TransientDeliveryError(`${spec.insurerName} answered the status request with HTTP ${answer.status}`, retryAfterMs(answer.retryAfter));
  return readAnswer(settings, answer, call).claimResponse;
}

/** A 2xx answer as FHIR; anything else, or an answer that cannot be read, is transient. */
function readAnswer(settings: HttpSettings, answer: Answer, call: HttpCall): ReturnType<typeof mapReply> {
  const name = settings.spec.insurerName;
  if (answer.status < 200 || answer.status >= 300) throw new TransientDeliveryError(`${name} answered HTTP ${answer.status}`, retryAfterMs(answer.retryAfter));
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new TransientDeliveryError(`${name} answered HTTP ${answer.status} with a body that is not JSON`);
  }
  try {
    return mapReply(settings.spec, body, call.claim, { claimId: call.claimId });
  } catch (err) {
    if (err instanceof ReplyError) throw new TransientDeliveryError(`${name}'s answer cannot be read: ${err.message}`);
    throw err;
  }
}

/** One request to the insurer; network failures and timeouts become TransientDeliveryError. */
async function exchange(settings: HttpSettings, call: HttpCall, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const { spec } = settings;
  const apiKey = settings.apiKeyEnv === undefined ? undefined : process.env[settings.apiKeyEnv];
  if (settings.apiKeyEnv !== undefined && !apiKey) throw new TransientDeliveryError(`environment variable ${settings.apiKeyEnv} (settings.apiKeyEnv) is not set`);
  const keyHeader = (spec.transport.kind === 'http-json' && spec.transport.apiKeyHeader) || 'X-API-Key';
  try {
    const response = await fetch(`${settings.baseUrl}${path}`, {
      method, body,
      headers: { Accept: 'application/json', ...headers, ...(apiKey ? { [keyHeader]: apiKey } : {}) },
      // A redirect could carry the API key elsewhere: the insurer's URL is configured, not discovered.
      redirect: 'error',
      signal: withTimeout(call.signal, settings.timeoutMs ?? call.defaultTimeoutMs),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
  } catch (err) {
    const cause = (err as Error).name === 'TimeoutError' ? 'timed out' : `${(err as Error).message}${causeOf(err)}`;
    throw new TransientDeliveryError(`${spec.insurerName} at ${settings.baseUrl} unreachable: ${cause}`);
  }
}

/** The caller's signal, cut at the timeout. */
function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? 'unknown cause'})` : '';
}

/**
 * The insurer's refusal as an OperationOutcome: its own when it sent one, else its error entries read
 * with the spec's reply.errors, else a message/error/detail/title text, else the start of its body.
 */
function refusalOutcome(settings: HttpSettings, answer: Answer): OperationOutcome {
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    body = undefined;
  }
  if ((body as OperationOutcome | undefined)?.resourceType === 'OperationOutcome') return body as OperationOutcome;
  const texts = body !== null && typeof body === 'object' ? errorTexts(settings, body) : [];
  const plain = answer.text.replace(/[\p{Cc}\s]+/gu, ' ').trim().slice(0, 500);
  const diagnostics = texts.length > 0 ? texts.join('; ') : plain || `${settings.spec.insurerName} answered HTTP ${answer.status}`;
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics }] };
}

function errorTexts(settings: HttpSettings, body: object): string[] {
  const errors = compiledSpec(settings.spec).reply.errors;
  try {
    if (errors) {
      const texts = replyValues(errors.path, body, 'errors').map((entry) => {
        const code = replyText(errors.code, entry, 'code');
        const display = replyText(errors.display, entry, 'display');
        return [code, display].filter(Boolean).join(': ');
      }).filter(Boolean);
      if (texts.length > 0) return texts;
    }
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
  }
  const record = body as Record<string, unknown>;
  const text = ['message', 'error', 'detail', 'title'].map((k) => record[k]).find((v): v is string => typeof v === 'string' && v !== '');
  return text ? [text.slice(0, 500)] : [];
}
