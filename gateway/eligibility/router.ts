/**
 * FHIR routes of eligibility: ask (CoverageEligibilityRequest/$submit), then read the request and its
 * answers, the queued one and the final one, by id or by request.
 */
import express from 'express';
import type { Bundle, CoverageEligibilityResponse } from '@medplum/fhirtypes';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError } from '../fhir/outcomes.js';
import type { Language } from '../validation/rules.js';
import type { EligibilityService } from './eligibility-service.js';

export interface EligibilityRoutesDeps {
  readonly service: EligibilityService;
  readonly defaultLanguage: Language;
  readonly idempotency: IdempotencyStore;
  readonly publicBaseUrl?: string;
  readonly body: express.RequestHandler[];
}

export const ELIGIBILITY_WRITE_SCOPE = 'system/CoverageEligibilityRequest.write';
export const ELIGIBILITY_READ_SCOPE = 'system/CoverageEligibilityResponse.read';

/** The eligibility router (mounted after authentication). */
export function eligibilityRouter(deps: EligibilityRoutesDeps): express.Router {
  const router = express.Router();
  const route = (handler: (req: FhirRequest) => Promise<FhirAnswer>, scope: string, idempotent = false) =>
    fhirRoute(handler, { scope, idempotent }, deps);

  router.post('/fhir/CoverageEligibilityRequest/$submit', deps.body, route(async (req) => {
    const answer = await deps.service.submit(req.body, req.caller, req.language);
    return { status: answer.status, resource: answer.response, location: `${req.baseUrl}/fhir/CoverageEligibilityRequest/${answer.requestId}` };
  }, ELIGIBILITY_WRITE_SCOPE, true));

  router.get('/fhir/CoverageEligibilityRequest/:id', route(async (req) => {
    const record = await deps.service.visibleRequest(req.params.id!, req.caller);
    return { status: 200, resource: record.request.entry![0]!.resource! };
  }, ELIGIBILITY_READ_SCOPE));

  router.get('/fhir/CoverageEligibilityResponse/:id', route(async (req) => {
    return { status: 200, resource: await deps.service.visibleResponse(req.params.id!, req.caller) };
  }, ELIGIBILITY_READ_SCOPE));

  router.get('/fhir/CoverageEligibilityResponse', route(async (req) => {
    const request = req.query.request;
    if (typeof request !== 'string' || !request) {
      throw gatewayError('search-parameter', { en: 'Search CoverageEligibilityResponse by request: ?request=CoverageEligibilityRequest/{id}', fr: 'Recherchez les CoverageEligibilityResponse par demande : ?request=CoverageEligibilityRequest/{id}' });
    }
    const requestId = request.replace(/^.*CoverageEligibilityRequest\//, '');
    return { status: 200, resource: searchset(await deps.service.visibleResponses(requestId, req.caller), req.baseUrl) };
  }, ELIGIBILITY_READ_SCOPE));

  return router;
}

function searchset(responses: CoverageEligibilityResponse[], baseUrl: string): Bundle {
  return {
    resourceType: 'Bundle', type: 'searchset', total: responses.length,
    entry: responses.map((r) => ({ fullUrl: `${baseUrl}/fhir/CoverageEligibilityResponse/${r.id}`, resource: r, search: { mode: 'match' } })),
  };
}
