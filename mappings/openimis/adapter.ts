/**
 * The openIMIS adapter: schemes run on openIMIS take claims through its FHIR R4 module
 * (openimis-be-api_fhir_r4_py). The gateway logs in for a JWT (session.ts), posts each claim in
 * openIMIS's dialect (claim-out.ts), and asks for its ClaimResponse until openIMIS has valuated or
 * rejected it (response-in.ts): openIMIS sends no notification, so the insurer's registration must give
 * delivery.pollIntervalSeconds (a repeatable poll job, workers/insurer-poll.ts).
 *
 * Idempotency: openIMIS refuses a second claim with the same code from the same health facility, so a
 * retried delivery that meets that refusal looks the claim up by its code and carries on with it.
 */
import type { Claim, ClaimResponse, OperationOutcome } from '@medplum/fhirtypes';
import {
  MappingError, TransientDeliveryError, type ClaimCheck, type ClaimDelivery, type ClaimQuery, type DeliveryResult, type InsurerAdapter,
} from '../adapter.js';
import { retryAfterMs } from '../fhir-generic/adapter.js';
import { toOpenImisClaim } from './claim-out.js';
import { fromOpenImisResponse, OpenImisReplyError } from './response-in.js';
import { openImisFetch } from './session.js';
import { openImisSettings, type OpenImisSettings } from './settings.js';

const JSON_BODY = { 'Content-Type': 'application/fhir+json' };

function signalOf(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

async function readJson(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new OpenImisReplyError(`${what} with HTTP ${res.status} and a body that is not JSON`);
  }
}

/** 5xx, 408, 429 and unreadable answers may pass; a 4xx is openIMIS refusing the claim. */
function transientUnless4xx(res: Response, what: string): void {
  if (res.status >= 500 || res.status === 408 || res.status === 429 || res.status === 401) {
    throw new TransientDeliveryError(`openIMIS answered ${what} with HTTP ${res.status}`, retryAfterMs(res.headers.get('retry-after')));
  }
}

function isDuplicate(outcome: unknown): boolean {
  return ((outcome as OperationOutcome | null)?.issue ?? []).some((i) => i.code === 'duplicate' || /already exists/i.test(i.diagnostics ?? ''));
}

/** openIMIS's claim uuid for a claim code, or undefined. */
async function findByCode(settings: OpenImisSettings, code: string, signal: AbortSignal): Promise<string | undefined> {
  const res = await openImisFetch(settings, `/Claim/?identifier=${encodeURIComponent(code)}`, { signal });
  transientUnless4xx(res, 'the Claim search');
  const found = (await readJson(res, 'the Claim search')) as { entry?: Array<{ resource?: { resourceType?: string; id?: string } }> };
  return found.entry?.map((e) => e.resource).find((r) => r?.resourceType === 'Claim' && r.id)?.id;
}

/** openIMIS's ClaimResponse of a claim by its uuid; undefined when openIMIS does not know it. */
async function readResponse(settings: OpenImisSettings, uuid: string, signal: AbortSignal): Promise<unknown> {
  const res = await openImisFetch(settings, `/ClaimResponse/${encodeURIComponent(uuid)}/`, { signal });
  if (res.status === 404) return undefined;
  transientUnless4xx(res, 'the ClaimResponse read');
  if (!res.ok) throw new TransientDeliveryError(`openIMIS answered the ClaimResponse read with HTTP ${res.status}`);
  return readJson(res, 'the ClaimResponse read');
}

function claimOf(bundle: ClaimDelivery['bundle']): Claim {
  return bundle.entry![0]!.resource as Claim;
}

function answered(response: unknown, claim: Claim): DeliveryResult {
  const uuid = (response as { id?: unknown } | null)?.id;
  const claimResponse: ClaimResponse = fromOpenImisResponse(response, claim);
  return { kind: 'answered', claimResponse, ...(typeof uuid === 'string' ? { insurerReference: uuid } : {}) };
}

/** Creates the openIMIS adapter; defaultTimeoutMs applies when the insurer's settings set none. */
export function openImisAdapter(defaultTimeoutMs: number): InsurerAdapter {
  return {
    name: 'openimis',
    answersByPolling: () => true,
    checkSettings: (settings) => void openImisSettings(settings),
    async checkClaim(check: ClaimCheck) {
      return toOpenImisClaim(check.bundle, openImisSettings(check.settings)).issues;
    },
    async submitClaim(delivery: ClaimDelivery): Promise<DeliveryResult> {
      const settings = openImisSettings(delivery.settings);
      const mapped = toOpenImisClaim(delivery.bundle, settings);
      if (!mapped.claim) throw new MappingError(mapped.issues);
      const signal = signalOf(delivery.signal, settings.timeoutMs ?? defaultTimeoutMs);
      const res = await openImisFetch(settings, '/Claim/', { method: 'POST', headers: JSON_BODY, body: JSON.stringify(mapped.claim), signal });
      if (res.ok) return answered(await readJson(res, 'the claim'), claimOf(delivery.bundle));
      transientUnless4xx(res, 'the claim');
      const body = await readJson(res, 'the claim').catch(() => undefined);
      if (isDuplicate(body)) {
        // Already taken (a retried delivery): carry on with the claim openIMIS has.
        const uuid = await findByCode(settings, mapped.code!, signal);
        const existing = uuid ? await readResponse(settings, uuid, signal) : undefined;
        if (existing) return answered(existing, claimOf(delivery.bundle));
      }
      const outcome: OperationOutcome = (body as OperationOutcome | undefined)?.resourceType === 'OperationOutcome'
        ? (body as OperationOutcome)
        : { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `openIMIS answered HTTP ${res.status}` }] };
      return { kind: 'refused', httpStatus: res.status, outcome };
    },
    async fetchClaimResponse(query: ClaimQuery): Promise<ClaimResponse | undefined> {
      const settings = openImisSettings(query.settings);
      const signal = signalOf(query.signal, settings.timeoutMs ?? defaultTimeoutMs);
      const claim = claimOf(query.bundle);
      let uuid = query.insurerReference;
      if (!uuid) {
        const code = toOpenImisClaim(query.bundle, settings).code;
        uuid = code ? await findByCode(settings, code, signal) : undefined;
      }
      const response = uuid ? await readResponse(settings, uuid, signal) : undefined;
      return response === undefined ? undefined : fromOpenImisResponse(response, claim);
    },
  };
}
