/**
 * Reads a FHIR JSON request body: content type first (415), then the bytes up to the configured limit
 * (413), then room in the process's body budget (503 gateway-busy when none comes: body-budget.ts), then
 * parsing with the depth and key guard (400). The raw bytes stay on the request for hashing.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { gatewayError } from '../fhir/outcomes.js';
import { parseJsonBody } from '../fhir/json-guard.js';
import { envelopedJwe } from '../auth/payload-encryption.js';
import type { BodyBudget } from './body-budget.js';

const FHIR_JSON = /^application\/(fhir\+)?json\s*(;|$)/i;

/** Middleware chain parsing FHIR JSON bodies into req.body (an object) and req.rawBody (the bytes). */
export function fhirJsonBody(options: {
  limitBytes: number; maxDepth: number; maxArrayLength: number;
  /** Decrypts an HCX-style envelope {"payload": "<JWE>"} (auth/payload-encryption.ts). */
  decrypt?: (jwe: string) => Promise<Buffer>;
  /** Bodies take their size from it until their answer is sent. */
  budget?: BodyBudget;
}): express.RequestHandler[] {
  return [
    (req: Request, _res: Response, next: NextFunction) => {
      const type = req.headers['content-type'];
      if (!type || !FHIR_JSON.test(type)) {
        throw gatewayError('content-type', { en: `Content-Type must be application/fhir+json (or application/json), got ${type ? `"${type.slice(0, 80)}"` : 'none'}`, fr: `Le Content-Type doit être application/fhir+json (ou application/json), reçu : ${type ? `"${type.slice(0, 80)}"` : 'aucun'}` });
      }
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
      if (charset && !/^utf-?8$/i.test(charset)) {
        throw gatewayError('content-type', { en: `FHIR JSON is UTF-8: charset "${charset.slice(0, 40)}" is not accepted`, fr: `Le JSON FHIR est en UTF-8 : le jeu de caractères "${charset.slice(0, 40)}" n'est pas accepté` });
      }
      next();
    },
    // A body that declares its length takes it from the budget before it is read, so bodies waiting
    // for room stay in the network's buffers, not in memory; one sent in chunks, once read.
    async (req: Request, res: Response, next: NextFunction) => {
      const declared = Number(req.headers['content-length']);
      if (options.budget && Number.isSafeInteger(declared) && declared > 0) await takeBudget(options.budget, Math.min(declared, options.limitBytes), req, res);
      next();
    },
    express.raw({ type: () => true, limit: options.limitBytes }),
    async (req: Request, res: Response, next: NextFunction) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (raw.length === 0) throw gatewayError('body-unreadable', { en: 'The request has no body', fr: "La requête n'a pas de corps" });
      if (options.budget && !res.locals.bodyBudget) await takeBudget(options.budget, raw.length, req, res);
      req.rawBody = raw;
      req.body = parseJsonBody(raw.toString('utf8'), options);
      const jwe = options.decrypt ? envelopedJwe(req.body as Record<string, unknown>) : undefined;
      if (jwe) {
        // The encrypted resource gets every check a plain one gets; signatures cover the plaintext.
        req.rawBody = await options.decrypt!(jwe);
        req.body = parseJsonBody(req.rawBody.toString('utf8'), options);
      }
      next();
    },
  ];
}

/** Takes a body's bytes from the budget, given back once its answer is sent (or at once if the client left while it waited). */
async function takeBudget(budget: BodyBudget, bytes: number, req: Request, res: Response): Promise<void> {
  const giveBack = await budget.take(bytes);
  res.locals.bodyBudget = true;
  if (res.writableEnded || req.socket.destroyed) giveBack();
  else res.once('close', giveBack);
}
