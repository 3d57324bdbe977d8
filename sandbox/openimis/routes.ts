// Routes of the openIMIS face, mounted at /:insurerId/api/api_fhir_r4 like openIMIS's FHIR module:
// login/ is open, everything after it wants a bearer token. Trailing slashes are optional (Express's
// non-strict routing), as openIMIS clients write them either way.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SandboxContext } from '../context.js';
import { JSON_MEDIA_TYPES } from '../fhir-http.js';
import { errorIssue, notFound, outcomeAnswer } from '../outcomes.js';
import { authenticate, login, openImisInsurer, type OpenImisInsurer } from './auth.js';
import { enterClaim, readClaimResponse, searchClaims } from './claims.js';
import { sendJson } from './http.js';

type FaceRequest = Request<{ insurerId: string; id?: string }>;
type FaceHandler = (insurer: OpenImisInsurer, req: FaceRequest, res: Response, next: NextFunction) => void | Promise<void>;

/** Runs a handler with the request's insurer; 404 for an insurer without an openIMIS face. */
function face(ctx: SandboxContext, handler: FaceHandler) {
  return async (req: FaceRequest, res: Response, next: NextFunction): Promise<void> => {
    const insurer = openImisInsurer(ctx, req.params.insurerId);
    if (!insurer) {
      sendJson(res, notFound(`Insurer ${JSON.stringify(req.params.insurerId)} has no openIMIS API.`));
      return;
    }
    await handler(insurer, req, res, next);
  };
}

/** Absolute base URL of this insurer's face, from the request's own host. */
function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
}

/** Router for /:insurerId/api/api_fhir_r4. */
export function openImisRouter(ctx: SandboxContext): Router {
  const router = express.Router({ mergeParams: true });
  router.post(
    '/login',
    face(ctx, async (insurer, req, res) => sendJson(res, await login(ctx, insurer, req.body))),
  );
  router.use(
    face(ctx, async (insurer, req, res, next) => {
      const refused = await authenticate(ctx, insurer, req.get('authorization'));
      if (refused) {
        sendJson(res, refused);
        return;
      }
      next();
    }),
  );
  router.post(
    '/Claim',
    face(ctx, (insurer, req, res) => {
      // req.is() is null without a body (then a 400 listing what is missing) and false for another type.
      if (req.is(JSON_MEDIA_TYPES) === false) {
        sendJson(res, outcomeAnswer(415, [errorIssue('not-supported', 'Send the Claim as application/json or application/fhir+json.')]));
        return;
      }
      sendJson(res, enterClaim(ctx, insurer, req.body, baseUrl(req)));
    }),
  );
  router.get(
    '/Claim',
    face(ctx, (insurer, req, res) => sendJson(res, searchClaims(ctx, insurer, req.query.identifier, baseUrl(req)))),
  );
  router.get(
    '/ClaimResponse/:id',
    face(ctx, (insurer, req, res) => sendJson(res, readClaimResponse(ctx, insurer, req.params.id ?? ''))),
  );
  return router;
}
