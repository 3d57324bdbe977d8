/** POST /fhir/$process-message: the claim's whole conversation as FHIR messages (process-message.ts). */
import express from 'express';
import { fhirRoute } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import type { Language } from '../validation/rules.js';
import { messageKey, processMessage, type MessagingDeps } from './process-message.js';

export interface MessagingRoutesDeps extends MessagingDeps {
  readonly defaultLanguage: Language;
  readonly idempotency: IdempotencyStore;
  readonly publicBaseUrl?: string;
  readonly body: express.RequestHandler[];
}

/** The messaging router (mounted after authentication). Each event checks its own scope (message-events.ts). */
export function messagingRouter(deps: MessagingRoutesDeps): express.Router {
  const router = express.Router();
  router.post('/fhir/$process-message', deps.body, fhirRoute(async (req) => {
    const { language } = req;
    return { status: 200, resource: await processMessage(req, deps, language) };
  }, { idempotent: true, idempotencyKey: messageKey }, deps));
  return router;
}
