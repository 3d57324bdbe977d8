/**
 * FHIR routes of the claim pipeline: submit a claim, read a claim and its responses, the insurer's
 * later answer (POST /fhir/ClaimResponse), and a provider's status Task (POST /fhir/Task).
 */
import express from 'express';
import type { Bundle, ClaimResponse } from '@medplum/fhirtypes';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError, invalid } from '../fhir/outcomes.js';
import type { Conformance } from '../validation/conformance.js';
import { languageOf, type Language } from '../validation/rules.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { hasErrors } from '../validation/validators.js';
import { ClaimService } from './claim-service.js';
import type { StoredResponse } from './claim-service.js';
import { readClaimTask } from './claim-tasks.js';

export interface ClaimRoutesDeps {
  readonly service: ClaimService;
  readonly conformance: Conformance;
  readonly registry: ParticipantRegistry;
  readonly defaultLanguage: Language;
  readonly idempotency: IdempotencyStore;
  readonly publicBaseUrl?: string;
  readonly body: express.RequestHandler[];
  /** Throws unless a posted reply carries the signature its insurer must give (auth/reply-signature.ts). */
  readonly verifyReply: (req: FhirRequest) => Promise<void>;
}

/** The claim pipeline's FHIR router (mounted after authentication). */
export function claimRouter(deps: ClaimRoutesDeps): express.Router {
  const router = express.Router();
  const route = (handler: (req: FhirRequest) => Promise<FhirAnswer>, scope: string, idempotent = false) =>
    fhirRoute(handler, { scope, idempotent }, deps);

  router.post('/fhir/Claim/$submit', deps.body, route(async (req) => {
    const answer = await deps.service.submit(req.body, req.caller, languageOf(req.header('accept-language'), deps.defaultLanguage));
    return { status: 202, resource: answer.claimResponse, location: `${req.baseUrl}/fhir/Claim/${answer.claimId}` };
  }, 'system/Claim.write', true));

  router.get('/fhir/Claim/:id', route(async (req) => {
    const claim = await deps.service.visibleClaim(req.params.id!, req.caller);
    return { status: 200, resource: ClaimService.claimResource(claim) };
  }, 'system/Claim.read'));

  router.get('/fhir/ClaimResponse/:id', route(async (req) => {
    const response = await deps.service.visibleResponse(req.params.id!, req.caller);
    return { status: 200, resource: response.resource };
  }, 'system/ClaimResponse.read'));

  router.get('/fhir/ClaimResponse', route(async (req) => {
    const request = req.query.request;
    if (typeof request !== 'string' || !request) {
      throw gatewayError('search-parameter', 'Search ClaimResponse by request: ?request=Claim/{id}');
    }
    const claimId = request.replace(/^.*Claim\//, '');
    return { status: 200, resource: searchset(await deps.service.visibleResponses(claimId, req.caller), req.baseUrl) };
  }, 'system/ClaimResponse.read'));

  router.post('/fhir/ClaimResponse', deps.body, route(async (req) => {
    // Who may answer which claim is settled first (type, claim named, signature, visibility): a stranger
    // learns nothing from validation messages. Then the answer is validated in full.
    const body = req.body;
    if (body.resourceType !== 'ClaimResponse') {
      throw gatewayError('resource-type', `Expected a ClaimResponse, got ${typeof body.resourceType === 'string' ? body.resourceType : 'no resourceType'}`, 'resourceType');
    }
    const request = (body.request as { reference?: unknown } | undefined)?.reference;
    const claimId = typeof request === 'string' ? /(?:^|\/)Claim\/([A-Za-z0-9\-.]{1,64})$/.exec(request)?.[1] : undefined;
    if (!claimId) {
      throw gatewayError('claim-response-request', 'ClaimResponse.request must reference the gateway claim: Claim/{id}', 'ClaimResponse.request');
    }
    if (req.caller.kind !== 'insurer') throw gatewayError('not-found', `Claim/${claimId} is not known`);
    await deps.verifyReply(req);
    const claim = await deps.service.visibleClaim(claimId, req.caller);
    const insurer = await deps.registry.get(req.caller.participantId);
    const issues = deps.conformance.validate(body, {
      expression: 'ClaimResponse', language: languageOf(req.header('accept-language'), deps.defaultLanguage), packs: deps.conformance.packsInForce(insurer?.profilePacks),
    });
    if (hasErrors(issues)) throw invalid(issues);
    const { record, created } = await deps.service.recordInsurerAnswer(claim, body as unknown as ClaimResponse);
    return { status: created ? 201 : 200, resource: record.resource, location: `${req.baseUrl}/fhir/ClaimResponse/${record.id}` };
  }, 'system/ClaimResponse.write', true));

  router.get('/fhir/$poll', route(async (req) => {
    const count = req.query._count === undefined ? 50 : Number(req.query._count);
    if (!Number.isInteger(count) || count < 1 || count > 500) throw gatewayError('search-parameter', '_count must be a whole number from 1 to 500', '_count');
    const { responses, total } = await deps.service.poll(req.caller, count);
    return { status: 200, resource: { ...searchset(responses, req.baseUrl), total } };
  }, 'system/ClaimResponse.read'));

  router.post('/fhir/$poll-ack', deps.body, route(async (req) => {
    const ids = acknowledgedIds(req.body);
    const acknowledged = await deps.service.acknowledge(req.caller, ids);
    return { status: 200, resource: { resourceType: 'Parameters', parameter: [{ name: 'acknowledged', valueInteger: acknowledged }] } };
  }, 'system/ClaimResponse.read'));

  router.post('/fhir/Task', deps.body, route(async (req) => {
    const request = readClaimTask(req.body);
    const task = request.code === 'cancel' ? await deps.service.cancelClaim(request, req.caller) : await deps.service.claimStatus(request, req.caller);
    return { status: 200, resource: task };
  }, 'system/Task.write'));

  return router;
}

/** The ClaimResponse ids a Parameters resource acknowledges (parameters "message", valueReference ClaimResponse/{id}). */
function acknowledgedIds(body: Record<string, unknown>): string[] {
  if (body.resourceType !== 'Parameters') throw gatewayError('resource-type', 'Acknowledge with a Parameters resource: a parameter "message" (valueReference ClaimResponse/{id}) per answer', 'resourceType');
  const parameters = Array.isArray(body.parameter) ? (body.parameter as Array<{ name?: unknown; valueReference?: { reference?: unknown } }>) : [];
  const ids = parameters.filter((p) => p?.name === 'message').map((p) => /^(?:.*\/)?ClaimResponse\/([A-Za-z0-9\-.]{1,64})$/.exec(String(p.valueReference?.reference ?? ''))?.[1]);
  if (ids.length === 0 || ids.some((id) => id === undefined)) {
    throw gatewayError('poll-ack-invalid', 'Each parameter "message" must reference an answer: valueReference ClaimResponse/{id}', 'Parameters.parameter');
  }
  return ids as string[];
}

function searchset(responses: StoredResponse[], baseUrl: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: responses.length,
    entry: responses.map((r) => ({ fullUrl: `${baseUrl}/fhir/ClaimResponse/${r.id}`, resource: r.resource, search: { mode: 'match' } })),
  };
}
