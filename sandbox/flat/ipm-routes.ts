// Routes of the IPM JSON API, mounted at /:insurerId/ipm/v1 before the app's FHIR body parser, so this
// router reads its own bodies and answers every error (bad JSON, too large) in the IPM's format.
// Pipeline: count the request, find the insurer, check the API key, serve a fault, then the operation.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { SandboxContext } from '../context.js';
import type { InsurerSeed } from '../seed.js';
import { corruptReply, faultStatusReply, takeIpmFault } from './ipm-faults.js';
import { ipmError, sendIpm, type IpmReply } from './ipm-http.js';
import { ipmClaimAnswer, submitIpmClaim } from './ipm-submit.js';

type IpmRequest = Request<{ insurerId: string; claimRef?: string }>;

/** Router for every insurer's IPM API, mounted at /:insurerId/ipm/v1. */
export function ipmRouter(ctx: SandboxContext): Router {
  const router = express.Router({ mergeParams: true });
  // Any media type is read as bytes, so a wrong one gets the IPM's 415 rather than an empty body.
  router.post('/claims', express.raw({ type: () => true, limit: '2mb' }), async (req: IpmRequest, res: Response) => {
    sendIpm(res, await postClaim(ctx, req));
  });
  router.get('/claims/:claimRef', async (req: IpmRequest, res: Response) => {
    sendIpm(res, await withInsurer(ctx, req, (insurer) => ipmClaimAnswer(ctx, insurer, req.params.claimRef ?? '')));
  });
  router.use((req: Request, res: Response) => {
    sendIpm(res, ipmError(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}.`));
  });
  router.use(ipmErrorHandler(ctx.logger));
  return router;
}

async function postClaim(ctx: SandboxContext, req: IpmRequest): Promise<IpmReply> {
  const key = req.get('idempotency-key') || undefined;
  ctx.stats.countReceived(key);
  return withInsurer(ctx, req, (insurer) => {
    const body = readJsonBody(req);
    if ('status' in body) {
      return body;
    }
    const { reply, adjudicated } = submitIpmClaim(ctx, insurer, body.value);
    if (adjudicated) {
      ctx.stats.countAdjudicated(key);
    }
    return reply;
  });
}

/** The steps every IPM request shares: insurer, API key, fault rule; then the operation, maybe corrupted. */
async function withInsurer(ctx: SandboxContext, req: IpmRequest, operation: (insurer: InsurerSeed) => IpmReply): Promise<IpmReply> {
  const insurer = ctx.registry.get(req.params.insurerId);
  if (!insurer) {
    return ipmError(404, 'NOT_FOUND', `Unknown insurer ${JSON.stringify(req.params.insurerId)}.`);
  }
  if (insurer.flat?.apiKey !== undefined && !sameKey(insurer.flat.apiKey, req.get('x-api-key'))) {
    return ipmError(401, 'UNAUTHORIZED', 'Missing or wrong X-API-Key.');
  }
  const fault = await takeIpmFault(ctx, insurer.id);
  if (fault?.status !== undefined) {
    return faultStatusReply(fault.status);
  }
  const reply = operation(insurer);
  return fault?.reply ? corruptReply(reply, fault.reply, ctx.newId) : reply;
}

/** Compares digests, so neither the key's content nor its length shows in the response time. */
function sameKey(expected: string, given: string | undefined): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return given !== undefined && timingSafeEqual(digest(expected), digest(given));
}

function readJsonBody(req: IpmRequest): { value: unknown } | IpmReply {
  const mediaType = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return ipmError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the claim as application/json.');
  }
  const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return ipmError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
  }
}

/** Body reading errors in the IPM's format; anything else is a generic 500, the details logged. */
function ipmErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const status = (err as { status?: unknown } | null)?.status;
    const reply =
      status === 413
        ? ipmError(413, 'PAYLOAD_TOO_LARGE', 'The request body is above 2 MB.')
        : status === 415
          ? ipmError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body has an unsupported charset or encoding.')
          : typeof status === 'number' && status >= 400 && status < 500
            ? ipmError(400, 'INVALID_REQUEST', 'The request could not be read.', [])
            : undefined;
    if (!reply) {
      logger.error({ err, method: req.method, path: req.path }, 'IPM API request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendIpm(res, reply ?? ipmError(500, 'INTERNAL_ERROR', 'Internal error in the sandbox insurer.'));
  };
}
