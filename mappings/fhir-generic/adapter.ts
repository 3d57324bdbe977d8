/**
 * The generic FHIR R4 adapter: the insurer runs a FHIR server taking Claim/$submit (fhir-kit-client).
 * Settings: baseUrl (required), bearerTokenEnv (name of an environment variable holding a token),
 * timeoutMs. The Idempotency-Key header carries the delivery's stable key.
 */
import { Client } from 'fhir-kit-client';
import type { ClaimResponse, OperationOutcome } from '@medplum/fhirtypes';
import { TransientDeliveryError, type ClaimDelivery, type ClaimQuery, type DeliveryResult, type InsurerAdapter } from '../adapter.js';

interface FhirSettings {
  readonly baseUrl: string;
  readonly bearerTokenEnv?: string;
  readonly timeoutMs?: number;
}

function settingsOf(raw: Readonly<Record<string, unknown>>): FhirSettings {
  const { baseUrl, bearerTokenEnv, timeoutMs } = raw;
  if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) throw new Error('fhir adapter: settings.baseUrl must be an http(s) URL');
  if (bearerTokenEnv !== undefined && typeof bearerTokenEnv !== 'string') throw new Error('fhir adapter: settings.bearerTokenEnv must be a string');
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || timeoutMs <= 0)) throw new Error('fhir adapter: settings.timeoutMs must be a positive number');
  return { baseUrl, bearerTokenEnv, timeoutMs };
}

/** What fhir-kit-client 2 attaches to an HTTP error: the status and body, and the response headers in config. */
interface HttpFailure {
  response?: { status?: number; data?: unknown };
  config?: { headers?: Headers };
}

/** Creates the generic FHIR adapter; defaultTimeoutMs applies when the insurer's settings set none. */
export function fhirAdapter(defaultTimeoutMs: number): InsurerAdapter {
  return {
    name: 'fhir',
    checkSettings: (settings) => void settingsOf(settings),
    async submitClaim(delivery: ClaimDelivery): Promise<DeliveryResult> {
      const settings = settingsOf(delivery.settings);
      const token = settings.bearerTokenEnv ? process.env[settings.bearerTokenEnv] : undefined;
      const client = new Client({ baseUrl: settings.baseUrl, ...(token ? { bearerToken: token } : {}) });
      const timeout = AbortSignal.timeout(settings.timeoutMs ?? defaultTimeoutMs);
      const signal = delivery.signal ? AbortSignal.any([delivery.signal, timeout]) : timeout;
      let answer: unknown;
      try {
        answer = await client.operation({
          name: '$submit', resourceType: 'Claim', method: 'POST', input: delivery.bundle as never,
          options: { headers: { 'Idempotency-Key': delivery.idempotencyKey, 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' }, signal },
        });
      } catch (err) {
        return classifyFailure(err, settings.baseUrl);
      }
      const resource = answer as { resourceType?: string };
      if (resource?.resourceType !== 'ClaimResponse') {
        throw new TransientDeliveryError(`insurer answered Claim/$submit with ${resource?.resourceType ?? 'no resource'}, not a ClaimResponse`);
      }
      return { kind: 'answered', claimResponse: resource as ClaimResponse };
    },
    async fetchClaimResponse(query: ClaimQuery): Promise<ClaimResponse | undefined> {
      const settings = settingsOf(query.settings);
      const token = settings.bearerTokenEnv ? process.env[settings.bearerTokenEnv] : undefined;
      const client = new Client({ baseUrl: settings.baseUrl, ...(token ? { bearerToken: token } : {}) });
      const timeout = AbortSignal.timeout(settings.timeoutMs ?? defaultTimeoutMs);
      let found: unknown;
      try {
        found = await client.search({
          resourceType: 'ClaimResponse', searchParams: { request: `Claim/${query.claimId}` },
          options: { headers: { Accept: 'application/fhir+json' }, signal: query.signal ? AbortSignal.any([query.signal, timeout]) : timeout },
        });
      } catch (err) {
        const status = (err as HttpFailure).response?.status;
        throw new TransientDeliveryError(status ? `insurer answered the ClaimResponse search with HTTP ${status}` : `insurer at ${settings.baseUrl} unreachable: ${(err as Error).message}${causeOf(err)}`);
      }
      const entries = ((found as { entry?: Array<{ resource?: { resourceType?: string } }> }).entry ?? [])
        .map((e) => e.resource).filter((r): r is ClaimResponse => r?.resourceType === 'ClaimResponse');
      return entries.at(-1);
    },
  };
}

/** 4xx (but 408 and 429) is a final refusal; everything else may pass later. */
function classifyFailure(err: unknown, baseUrl: string): DeliveryResult {
  const status = (err as HttpFailure).response?.status;
  if (status === undefined) {
    const cause = (err as Error).name === 'TimeoutError' ? 'timed out' : `${(err as Error).message}${causeOf(err)}`;
    throw new TransientDeliveryError(`insurer at ${baseUrl} unreachable: ${cause}`);
  }
  if (status === 429 || status === 408 || status >= 500) {
    throw new TransientDeliveryError(`insurer answered HTTP ${status}`, retryAfterMs((err as HttpFailure).config?.headers?.get?.('retry-after')));
  }
  const data = (err as HttpFailure).response?.data;
  const outcome: OperationOutcome = (data as OperationOutcome | undefined)?.resourceType === 'OperationOutcome'
    ? (data as OperationOutcome)
    : { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `insurer answered HTTP ${status}` }] };
  return { kind: 'refused', httpStatus: status, outcome };
}

/** Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message ?? 'unknown cause'})` : '';
}
