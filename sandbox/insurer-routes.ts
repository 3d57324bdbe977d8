// Routes under /{insurerId}/fhir. The $submit routes share one pipeline: count the request, find the
// insurer, serve an injected fault, check the media type, replay an idempotent answer, and only then
// run the operation. The Coverage search serves faults too (rules aimed at it), then searches.
import express, { type Request, type Response, type Router } from 'express';
import { capabilityStatement } from './capability-statement.js';
import type { SandboxContext } from './context.js';
import { parseCoverageQuery, searchCoverage } from './coverage-search.js';
import type { FaultOperation } from './fault-injection.js';
import { takeFault } from './fault-serving.js';
import { JSON_MEDIA_TYPES, sendFhir } from './fhir-http.js';
import { errorIssue, notFound, outcomeAnswer, type FhirAnswer } from './outcomes.js';
import type { InsurerSeed } from './seed.js';
import { checkEligibility, submitClaim } from './submissions.js';
import { taskAnswer } from './claim-tasks.js';
import { communicationSearch, receiveCommunication } from './information-requests.js';

type InsurerRequest = Request<{ insurerId: string }>;
type Operation = (ctx: SandboxContext, insurer: InsurerSeed, body: unknown) => FhirAnswer;

/** Router for every insurer, mounted at /:insurerId/fhir. */
export function insurerRouter(ctx: SandboxContext): Router {
  const router = express.Router({ mergeParams: true });
  router.get('/metadata', (req: InsurerRequest, res: Response) => {
    const insurer = ctx.registry.get(req.params.insurerId);
    sendFhir(res, insurer ? { status: 200, body: capabilityStatement(insurer, ctx.now()) } : unknownInsurer(req));
  });
  router.get('/ClaimResponse', (req: InsurerRequest, res: Response) => {
    const insurer = ctx.registry.get(req.params.insurerId);
    sendFhir(res, insurer ? claimResponseSearch(ctx, insurer, req.query.request) : unknownInsurer(req));
  });
  router.get('/Coverage', async (req: InsurerRequest, res: Response) => {
    sendFhir(res, await coverageAnswer(ctx, req));
  });
  router.post('/Claim/$submit', submitRoute(ctx, 'Claim/$submit', submitClaim));
  router.post('/Task', (req: InsurerRequest, res: Response) => {
    const insurer = ctx.registry.get(req.params.insurerId);
    sendFhir(res, insurer ? taskAnswer(ctx, insurer, req.body) : unknownInsurer(req));
  });
  router.post('/Communication', async (req: InsurerRequest, res: Response) => {
    const insurer = ctx.registry.get(req.params.insurerId);
    const faulted = insurer ? await applyFault(ctx, insurer.id, 'Communication') : undefined;
    sendFhir(res, !insurer ? unknownInsurer(req) : faulted ?? receiveCommunication(ctx, insurer, req.body));
  });
  router.get('/Communication', (req: InsurerRequest, res: Response) => {
    const insurer = ctx.registry.get(req.params.insurerId);
    sendFhir(res, insurer ? communicationSearch(ctx, insurer, req.query.about) : unknownInsurer(req));
  });
  router.post('/CoverageEligibilityRequest/$submit', submitRoute(ctx, 'CoverageEligibilityRequest/$submit', checkEligibility));
  return router;
}

/** GET ClaimResponse?request=Claim/{id}: the latest answer to that claim, as a searchset (empty if none). */
function claimResponseSearch(ctx: SandboxContext, insurer: InsurerSeed, request: unknown): FhirAnswer {
  const claimId = typeof request === 'string' ? /^(?:.*\/)?Claim\/([^/]+)$/.exec(request)?.[1] : undefined;
  if (!claimId) {
    return outcomeAnswer(400, [errorIssue('required', 'Search ClaimResponse by request=Claim/{id}', 'request')]);
  }
  const latest = ctx.answers.latest(insurer.id, claimId);
  return {
    status: 200,
    body: { resourceType: 'Bundle', type: 'searchset', total: latest ? 1 : 0, entry: latest ? [{ resource: latest, search: { mode: 'match' } }] : [] },
  };
}

/** GET Coverage?...: a searchset page of the registry (see coverage-search.ts). */
async function coverageAnswer(ctx: SandboxContext, req: InsurerRequest): Promise<FhirAnswer> {
  const insurer = ctx.registry.get(req.params.insurerId);
  if (!insurer) {
    return unknownInsurer(req);
  }
  const faulted = await applyFault(ctx, insurer.id, 'Coverage');
  if (faulted) {
    return faulted;
  }
  const query = parseCoverageQuery(req.query as Record<string, unknown>);
  if ('issues' in query) {
    return outcomeAnswer(400, query.issues);
  }
  // Absolute links from the request's own host: clients such as fhir-kit-client follow `next` as is.
  const selfUrl = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`;
  return { status: 200, body: searchCoverage(ctx.registry, insurer, query, selfUrl) };
}

function unknownInsurer(req: InsurerRequest): FhirAnswer {
  return notFound(`Unknown insurer ${JSON.stringify(req.params.insurerId)}.`);
}

function submitRoute(ctx: SandboxContext, name: FaultOperation, operation: Operation) {
  return async (req: InsurerRequest, res: Response): Promise<void> => {
    sendFhir(res, await submitAnswer(ctx, name, operation, req));
  };
}

async function submitAnswer(ctx: SandboxContext, name: FaultOperation, operation: Operation, req: InsurerRequest): Promise<FhirAnswer> {
  const key = req.get('idempotency-key') || undefined;
  ctx.stats.countReceived(key);
  const insurer = ctx.registry.get(req.params.insurerId);
  if (!insurer) {
    return unknownInsurer(req);
  }
  const faulted = await applyFault(ctx, insurer.id, name);
  if (faulted) {
    return faulted;
  }
  // req.is() is null without a body (a 422 below) and false for a body of another type.
  if (req.is(JSON_MEDIA_TYPES) === false) {
    return outcomeAnswer(415, [errorIssue('not-supported', 'Send the body as application/fhir+json or application/json.')]);
  }
  const stored = key ? ctx.idempotency.get(insurer.id, name, key) : undefined;
  if (stored) {
    return { ...stored, headers: { ...stored.headers, 'Idempotent-Replayed': 'true' } };
  }
  const answer = operation(ctx, insurer, req.body);
  // Only answers that were adjudicated are kept: a corrected body may be sent again with the same key.
  if (answer.status < 300) {
    ctx.stats.countAdjudicated(key);
    if (key) {
      ctx.idempotency.set(insurer.id, name, key, answer);
    }
  }
  return answer;
}

const FAULT_ISSUE_CODES: Record<number, 'throttled' | 'timeout' | 'transient'> = { 429: 'throttled', 503: 'transient', 504: 'timeout' };

/**
 * Serves the next fault rule for this insurer and route, if any: waits hangMs + delayMs, then answers
 * the rule's error status, or undefined (handle the request normally) for a rule that only slows down.
 */
async function applyFault(ctx: SandboxContext, insurerId: string, operation: FaultOperation): Promise<FhirAnswer | undefined> {
  const fault = await takeFault(ctx, insurerId, operation);
  return fault?.status === undefined ? undefined : faultAnswer(fault.status);
}

function faultAnswer(status: number): FhirAnswer {
  const issue = errorIssue(FAULT_ISSUE_CODES[status] ?? 'exception', `Fault injected by the sandbox control API (HTTP ${status}).`);
  return outcomeAnswer(status, [issue], status === 429 ? { 'Retry-After': '1' } : undefined);
}
