/**
 * FHIR routes of the claim pipeline: submit a claim, read a claim and its responses, the insurer's
 * later answer (POST /fhir/ClaimResponse), and a provider's status or cancel Task (POST /fhir/Task).
 * Polling for answers is the exchanges router's (gateway/exchanges/router.ts).
 */
import express from 'express';
import type { Bundle, ClaimResponse } from '@medplum/fhirtypes';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError, invalid, notFound } from '../fhir/outcomes.js';
import { referencedId } from '../fhir/references.js';
import type { Conformance } from '../validation/conformance.js';
import type { Language } from '../validation/rules.js';
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
    const answer = await deps.service.submit(req.body, req.caller, req.language);
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
      throw gatewayError('search-parameter', { en: 'Search ClaimResponse by request: ?request=Claim/{id}', fr: 'Recherchez les ClaimResponse par demande : ?request=Claim/{id}' });
    }
    const claimId = request.replace(/^.*Claim\//, '');
    return { status: 200, resource: searchset(await deps.service.visibleResponses(claimId, req.caller), req.baseUrl) };
  }, 'system/ClaimResponse.read'));

  router.post('/fhir/ClaimResponse', deps.body, route(async (req) => {
    const { record, created } = await receiveInsurerAnswer(deps, req, req.body);
    return { status: created ? 201 : 200, resource: record.resource, location: `${req.baseUrl}/fhir/ClaimResponse/${record.id}` };
  }, 'system/ClaimResponse.write', true));

  router.post('/fhir/Task', deps.body, route(async (req) => {
    const request = readClaimTask(req.body);
    const task = request.code === 'cancel' ? await deps.service.cancelClaim(request, req.caller) : await deps.service.claimStatus(request, req.caller);
    return { status: 200, resource: task };
  }, 'system/Task.write'));

  return router;
}

/**
 * An insurer's later answer to a claim addressed to it (POST /fhir/ClaimResponse, or a claim-response
 * message). Who may answer which claim is settled first (type, claim named, signature over the request
 * as sent, visibility): a stranger learns nothing from validation messages. Then the answer is validated in full.
 */
export async function receiveInsurerAnswer(deps: ClaimRoutesDeps, req: FhirRequest, body: Record<string, unknown>): Promise<{ record: StoredResponse; created: boolean }> {
  if (body.resourceType !== 'ClaimResponse') {
    throw gatewayError('resource-type', { en: `Expected a ClaimResponse, got ${typeof body.resourceType === 'string' ? body.resourceType : 'no resourceType'}`, fr: `Une ClaimResponse est attendue ; reçu : ${typeof body.resourceType === 'string' ? body.resourceType : 'aucun resourceType'}` }, 'resourceType');
  }
  const claimId = referencedId((body.request as { reference?: unknown } | undefined)?.reference, 'Claim');
  if (!claimId) {
    throw gatewayError('claim-response-request', { en: 'ClaimResponse.request must reference the gateway claim: Claim/{id}', fr: 'ClaimResponse.request doit référencer la demande enregistrée par la passerelle : Claim/{id}' }, 'ClaimResponse.request');
  }
  if (req.caller.kind !== 'insurer') throw notFound('Claim', claimId);
  await deps.verifyReply(req);
  const claim = await deps.service.visibleClaim(claimId, req.caller);
  const insurer = await deps.registry.get(req.caller.participantId);
  const issues = deps.conformance.validate(body, {
    expression: 'ClaimResponse', language: req.language, packs: deps.conformance.packsInForce(insurer?.profilePacks),
  });
  if (hasErrors(issues)) throw invalid(issues);
  return deps.service.recordInsurerAnswer(claim, body as unknown as ClaimResponse);
}

function searchset(responses: StoredResponse[], baseUrl: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: responses.length,
    entry: responses.map((r) => ({ fullUrl: `${baseUrl}/fhir/ClaimResponse/${r.id}`, resource: r.resource, search: { mode: 'match' } })),
  };
}
