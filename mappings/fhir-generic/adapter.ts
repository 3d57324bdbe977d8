/**
 * The generic FHIR R4 adapter: the insurer runs a FHIR server taking Claim/$submit (fhir-kit-client).
 * Settings: baseUrl (required), bearerTokenEnv (name of an environment variable holding a token),
 * timeoutMs. The Idempotency-Key header carries the delivery's stable key.
 */
import { Client } from 'fhir-kit-client';
import type { Bundle, ClaimResponse, Coverage, CoverageEligibilityResponse, OperationOutcome, Patient } from '@medplum/fhirtypes';
import {
  ExchangeRefusedError, TransientDeliveryError, type ClaimDelivery, type ExchangeDelivery, type ClaimQuery, type CoverageChangesQuery, type CoveragePage, type DeliveryResult,
  type EligibilityAnswer, type EligibilityQuery, type InsurerAdapter,
} from '../adapter.js';

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

/** A client for the insurer's FHIR base, with its bearer token when the settings name one. */
function clientFor(settings: FhirSettings): Client {
  const token = settings.bearerTokenEnv ? process.env[settings.bearerTokenEnv] : undefined;
  return new Client({ baseUrl: settings.baseUrl, ...(token ? { bearerToken: token } : {}) });
}

/** The caller's signal, cut at the timeout. */
function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

const FHIR_HEADERS = { Accept: 'application/fhir+json' };

/** Creates the generic FHIR adapter; defaultTimeoutMs applies when the insurer's settings set none. */
export function fhirAdapter(defaultTimeoutMs: number): InsurerAdapter {
  return {
    name: 'fhir',
    checkSettings: (settings) => void settingsOf(settings),
    async submitClaim(delivery: ClaimDelivery): Promise<DeliveryResult> {
      const settings = settingsOf(delivery.settings);
      const client = clientFor(settings);
      const signal = withTimeout(delivery.signal, settings.timeoutMs ?? defaultTimeoutMs);
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
      const client = clientFor(settings);
      let found: unknown;
      try {
        found = await client.search({
          resourceType: 'ClaimResponse', searchParams: { request: `Claim/${query.claimId}` },
          options: { headers: FHIR_HEADERS, signal: withTimeout(query.signal, settings.timeoutMs ?? defaultTimeoutMs) },
        });
      } catch (err) {
        const status = (err as HttpFailure).response?.status;
        throw new TransientDeliveryError(status ? `insurer answered the ClaimResponse search with HTTP ${status}` : `insurer at ${settings.baseUrl} unreachable: ${(err as Error).message}${causeOf(err)}`);
      }
      const entries = ((found as { entry?: Array<{ resource?: { resourceType?: string } }> }).entry ?? [])
        .map((e) => e.resource).filter((r): r is ClaimResponse => r?.resourceType === 'ClaimResponse');
      return entries.at(-1);
    },
    async cancelClaim(query: ClaimQuery): Promise<'cancelled' | 'too-late'> {
      const settings = settingsOf(query.settings);
      const client = clientFor(settings);
      const task = {
        resourceType: 'Task', status: 'requested', intent: 'order',
        code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/financialtaskcode', code: 'cancel' }] },
        focus: { reference: `Claim/${query.claimId}` }, authoredOn: new Date().toISOString(),
      };
      let answer: unknown;
      try {
        answer = await client.create({
          resourceType: 'Task', body: task as never,
          options: { headers: { ...FHIR_HEADERS, 'Content-Type': 'application/fhir+json' }, signal: withTimeout(query.signal, settings.timeoutMs ?? defaultTimeoutMs) },
        });
      } catch (err) {
        // The insurer never had the claim: there is nothing left to cancel.
        if ((err as HttpFailure).response?.status === 404) return 'cancelled';
        throw transientOf(err, settings.baseUrl, 'the cancel Task');
      }
      const status = (answer as { resourceType?: unknown; status?: unknown } | null);
      if (status?.resourceType !== 'Task') throw new TransientDeliveryError(`insurer answered the cancel Task with ${describe(status as { resourceType?: unknown } | null)}, not a Task`);
      if (status.status === 'completed') return 'cancelled';
      if (status.status === 'rejected' || status.status === 'failed') return 'too-late';
      throw new TransientDeliveryError(`insurer answered the cancel Task with a Task ${typeof status.status === 'string' ? status.status.slice(0, 32) : 'without status'}`);
    },
    async sendExchange(delivery: ExchangeDelivery): Promise<void> {
      const settings = settingsOf(delivery.settings);
      const client = clientFor(settings);
      try {
        await client.create({
          resourceType: delivery.resource.resourceType, body: delivery.resource as never,
          options: {
            headers: { ...FHIR_HEADERS, 'Content-Type': 'application/fhir+json', 'Idempotency-Key': delivery.idempotencyKey },
            signal: withTimeout(delivery.signal, settings.timeoutMs ?? defaultTimeoutMs),
          },
        });
      } catch (err) {
        const status = (err as HttpFailure).response?.status;
        if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
          throw new ExchangeRefusedError(`insurer refused the ${delivery.resource.resourceType}: HTTP ${status}`, status);
        }
        throw transientOf(err, settings.baseUrl, `the ${delivery.resource.resourceType}`);
      }
    },
    async checkEligibility(query: EligibilityQuery): Promise<EligibilityAnswer> {
      const settings = settingsOf(query.settings);
      const client = clientFor(settings);
      const signal = withTimeout(query.signal, settings.timeoutMs ?? defaultTimeoutMs);
      if (query.method === 'coverage-search') {
        let found: unknown;
        try {
          found = await client.search({
            resourceType: 'Coverage', searchParams: { 'beneficiary:identifier': `${query.member.system}|${query.member.value}` },
            options: { headers: FHIR_HEADERS, signal },
          });
        } catch (err) {
          return refusalOrThrow(err, settings.baseUrl, 'the Coverage search');
        }
        return { kind: 'coverages', coverages: resourcesOf<Coverage>(found, 'Coverage', 'the Coverage search') };
      }
      let answer: unknown;
      try {
        answer = await client.operation({
          name: '$submit', resourceType: 'CoverageEligibilityRequest', method: 'POST', input: query.bundle as never,
          options: { headers: { ...FHIR_HEADERS, 'Idempotency-Key': query.idempotencyKey, 'Content-Type': 'application/fhir+json' }, signal },
        });
      } catch (err) {
        return refusalOrThrow(err, settings.baseUrl, 'CoverageEligibilityRequest/$submit');
      }
      const resource = answer as { resourceType?: unknown } | null;
      if (resource?.resourceType !== 'CoverageEligibilityResponse') {
        throw new TransientDeliveryError(`insurer answered CoverageEligibilityRequest/$submit with ${describe(resource)}, not a CoverageEligibilityResponse`);
      }
      return { kind: 'response', response: resource as CoverageEligibilityResponse };
    },
    async *fetchChangedCoverage(query: CoverageChangesQuery): AsyncIterable<CoveragePage> {
      const settings = settingsOf(query.settings);
      const client = clientFor(settings);
      const timeoutMs = settings.timeoutMs ?? defaultTimeoutMs;
      const searchParams: Record<string, string> = { _count: String(query.pageSize), _include: 'Coverage:beneficiary' };
      if (query.since) searchParams._lastUpdated = `gt${query.since.toISOString()}`;
      let page: unknown;
      try {
        page = await client.search({ resourceType: 'Coverage', searchParams, options: { headers: FHIR_HEADERS, signal: withTimeout(query.signal, timeoutMs) } });
      } catch (err) {
        throw transientOf(err, settings.baseUrl, 'the Coverage search');
      }
      for (;;) {
        yield { coverages: resourcesOf<Coverage>(page, 'Coverage', 'the Coverage search'), patients: resourcesOf<Patient>(page, 'Patient', 'the Coverage search') };
        const next = (page as Bundle).link?.find((l) => l.relation === 'next')?.url;
        if (!next) return;
        // The insurer chooses the next page's URL: it must stay on the insurer's own server.
        if (new URL(next, settings.baseUrl).origin !== new URL(settings.baseUrl).origin) {
          throw new TransientDeliveryError(`insurer's next page link leaves its server (${new URL(next, settings.baseUrl).origin})`);
        }
        try {
          page = await client.nextPage({ bundle: page as never, options: { headers: FHIR_HEADERS, signal: withTimeout(query.signal, timeoutMs) } });
        } catch (err) {
          throw transientOf(err, settings.baseUrl, 'the next page of the Coverage search');
        }
      }
    },
  };
}

/** The resources of one type in a searchset; garbage (not a Bundle) is a transient failure. */
function resourcesOf<T>(found: unknown, type: string, what: string): T[] {
  const bundle = found as { resourceType?: unknown; entry?: unknown } | null;
  if (bundle?.resourceType !== 'Bundle' || (bundle.entry !== undefined && !Array.isArray(bundle.entry))) {
    throw new TransientDeliveryError(`insurer answered ${what} with ${describe(bundle)}, not a Bundle`);
  }
  return ((bundle.entry ?? []) as Array<{ resource?: { resourceType?: unknown } } | null>)
    .map((e) => e?.resource).filter((r): r is T & { resourceType: string } => r?.resourceType === type) as T[];
}

function describe(resource: { resourceType?: unknown } | null | undefined): string {
  return typeof resource?.resourceType === 'string' ? resource.resourceType.slice(0, 64) : 'something that is not a FHIR resource';
}

/** A 4xx (but 408 and 429) refuses the question; everything else is transient. */
function refusalOrThrow(err: unknown, baseUrl: string, what: string): EligibilityAnswer {
  const result = classifyFailure(err, baseUrl);
  if (result.kind === 'refused') return result;
  throw new TransientDeliveryError(`insurer answered ${what} unexpectedly`);
}

function transientOf(err: unknown, baseUrl: string, what: string): TransientDeliveryError {
  const status = (err as HttpFailure).response?.status;
  return new TransientDeliveryError(status ? `insurer answered ${what} with HTTP ${status}` : `insurer at ${baseUrl} unreachable: ${(err as Error).message}${causeOf(err)}`);
}

/** 4xx (but 408 and 429) is a final refusal; everything else may pass later. */
function classifyFailure(err: unknown, baseUrl: string): DeliveryResult {
  const status = (err as HttpFailure).response?.status;
  if (status === undefined) {
    const cause = (err as Error).name === 'TimeoutError' ? 'timed out' : `${(err as Error).message}${causeOf(err)}`;
    throw new TransientDeliveryError(`insurer at ${baseUrl} unreachable: ${cause}`);
  }
  if (status < 400 || status >= 500 || status === 429 || status === 408) {
    // A 2xx reaches here only with a body fhir-kit-client could not read (an HTML maintenance page…): unreadable, so transient.
    const what = status < 400 ? `HTTP ${status} with an unreadable body` : `HTTP ${status}`;
    throw new TransientDeliveryError(`insurer answered ${what}`, retryAfterMs((err as HttpFailure).config?.headers?.get?.('retry-after')));
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
