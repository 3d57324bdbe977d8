/**
 * FHIR routes of a claim's conversation beyond the claim and its answers: an insurer's information
 * request (CommunicationRequest) and the provider's answer (Communication), an insurer's payment
 * (PaymentReconciliation) and notice (PaymentNotice); reading them by id or by claim; and endpoint-wide
 * polling with acknowledgement ($poll, $poll-ack) of everything addressed to the caller.
 */
import express from 'express';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError } from '../fhir/outcomes.js';
import { referencedId, typedReference } from '../fhir/references.js';
import type { Language } from '../validation/rules.js';
import { EXCHANGE_TYPES, type ExchangeType } from './exchange-repository.js';
import type { ExchangeService } from './exchange-service.js';
import type { Mailbox } from './mailbox.js';

export interface ExchangeRoutesDeps {
  readonly service: ExchangeService;
  readonly mailbox: Mailbox;
  readonly defaultLanguage: Language;
  readonly idempotency: IdempotencyStore;
  readonly publicBaseUrl?: string;
  readonly body: express.RequestHandler[];
}

/** The exchanges' FHIR router (mounted after authentication). */
export function exchangeRouter(deps: ExchangeRoutesDeps): express.Router {
  const router = express.Router();
  const route = (handler: (req: FhirRequest) => Promise<FhirAnswer>, scope: string | undefined, idempotent = false) =>
    fhirRoute(handler, { scope, idempotent }, deps);

  for (const type of EXCHANGE_TYPES) {
    router.post(`/fhir/${type}`, deps.body, route(async (req) => {
      const { language } = req;
      const { record, created } = await deps.service.receive(type, req.body, req.caller, language);
      return { status: created ? 201 : 200, resource: record.resource!, location: `${req.baseUrl}/fhir/${type}/${record.id}` };
    }, `system/${type}.write`, true));

    router.get(`/fhir/${type}/:id`, route(async (req) => ({ status: 200, resource: await deps.service.read(type, req.params.id!, req.caller) }), `system/${type}.read`));

    router.get(`/fhir/${type}`, route(async (req) => {
      const claimId = referencedId(req.query.claim, 'Claim');
      if (!claimId) throw gatewayError('search-parameter', { en: `Search ${type} by the claim it is about: ?claim=Claim/{id}`, fr: `Recherchez les ressources ${type} par la demande concernée : ?claim=Claim/{id}` }, 'claim');
      return { status: 200, resource: searchset(type, await deps.service.aboutClaim(type, claimId, req.caller), req.baseUrl) };
    }, `system/${type}.read`));
  }

  // What a caller polls depends on the read scopes it holds (mailbox.ts), so the route asks for none itself.
  router.get('/fhir/$poll', route(async (req) => {
    const count = req.query._count === undefined ? 50 : Number(req.query._count);
    if (!Number.isInteger(count) || count < 1 || count > 500) throw gatewayError('search-parameter', { en: '_count must be a whole number from 1 to 500', fr: '_count doit être un nombre entier de 1 à 500' }, '_count');
    const { messages, total } = await deps.mailbox.poll(req.caller, count);
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total,
      entry: messages.map((m) => ({ fullUrl: `${req.baseUrl}/fhir/${m.resourceType}/${m.id}`, resource: m.resource, search: { mode: 'match' } })),
    };
    return { status: 200, resource: bundle };
  }, undefined));

  router.post('/fhir/$poll-ack', deps.body, route(async (req) => {
    const acknowledged = await deps.mailbox.acknowledge(req.caller, acknowledgedMessages(req.body));
    return { status: 200, resource: { resourceType: 'Parameters', parameter: [{ name: 'acknowledged', valueInteger: acknowledged }] } };
  }, undefined));

  return router;
}

/** The messages a Parameters resource acknowledges (parameters "message", valueReference {Type}/{id}). */
function acknowledgedMessages(body: Record<string, unknown>): Array<{ type: string; id: string }> {
  const usage = 'a parameter "message" (valueReference ClaimResponse/{id}, CommunicationRequest/{id}, PaymentNotice/{id}, ...) per message';
  const usageFr = 'un paramètre "message" (valueReference ClaimResponse/{id}, CommunicationRequest/{id}, PaymentNotice/{id}, ...) par message';
  if (body.resourceType !== 'Parameters') throw gatewayError('resource-type', { en: `Acknowledge with a Parameters resource: ${usage}`, fr: `Acquittez avec une ressource Parameters : ${usageFr}` }, 'resourceType');
  const parameters = Array.isArray(body.parameter) ? (body.parameter as Array<{ name?: unknown; valueReference?: { reference?: unknown } }>) : [];
  const messages = parameters.filter((p) => p?.name === 'message').map((p) => typedReference(p.valueReference?.reference));
  const pollable = new Set<string>(['ClaimResponse', 'CoverageEligibilityResponse', ...EXCHANGE_TYPES]);
  if (messages.length === 0 || messages.some((m) => !m || !pollable.has(m.type))) {
    throw gatewayError('poll-ack-invalid', { en: `Each parameter "message" must reference a polled message: ${usage}`, fr: `Chaque paramètre "message" doit référencer un message déjà relevé : ${usageFr}` }, 'Parameters.parameter');
  }
  return messages as Array<{ type: string; id: string }>;
}

function searchset(type: ExchangeType, resources: ReadonlyArray<Resource & { id: string }>, baseUrl: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    entry: resources.map((r) => ({ fullUrl: `${baseUrl}/fhir/${type}/${r.id}`, resource: r, search: { mode: 'match' } })),
  };
}
