/**
 * Authentication for the FHIR and operator APIs: a bearer token, or on the operator API (/admin) the
 * operator console's session cookie (gateway/console/session.ts). Either way the token is verified and
 * the participant it names must still be registered and active. A failure is a 401 OperationOutcome
 * with a WWW-Authenticate challenge. A cookie request that changes state must carry the CSRF header.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Caller, TokenService } from '../auth/tokens.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { gatewayError } from '../fhir/outcomes.js';
import { ConsoleSessions, CSRF_HEADER } from '../console/session.js';

async function active(caller: Caller | undefined, registry: ParticipantRegistry): Promise<boolean> {
  return Boolean(caller) && (await registry.get(caller!.participantId))?.status === 'active';
}

/** The caller a console session cookie proves (renewing it), or a 401/403; undefined without a cookie. */
async function fromSession(req: Request, res: Response, sessions: ConsoleSessions, registry: ParticipantRegistry): Promise<Caller | undefined> {
  const token = sessions.token(req);
  if (!token) return undefined;
  const session = await sessions.verify(token);
  if (!session || !(await active(session.caller, registry))) {
    sessions.clear(res);
    throw gatewayError('unauthenticated', { en: 'The console session has expired or is no longer valid: log in again at /console/', fr: 'La session de la console a expiré ou n\'est plus valide : reconnectez-vous sur /console/' });
  }
  if (!ConsoleSessions.passesCsrf(req)) {
    throw gatewayError('csrf-header-missing', { en: `A request that changes state with the console session must carry the ${CSRF_HEADER} header`, fr: `Une requête qui modifie des données avec la session de la console doit porter l'en-tête ${CSRF_HEADER}` });
  }
  await sessions.renew(res, session);
  return session.caller;
}

/** Middleware setting req.caller from the Authorization header, or from the console session when sessions are given. */
export function authenticate(tokens: TokenService, registry: ParticipantRegistry, sessions?: ConsoleSessions): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    if (!header && sessions) {
      const caller = await fromSession(req, res, sessions, registry);
      if (caller) {
        req.caller = caller;
        return next();
      }
    }
    const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    const caller = match ? await tokens.verify(match[1]!) : undefined;
    if (!(await active(caller, registry))) {
      res.set('WWW-Authenticate', `Bearer realm="passerelle"${header ? ', error="invalid_token"' : ''}`);
      throw gatewayError('unauthenticated', header
        ? { en: 'The bearer token is invalid or expired, or its participant is not active; get a new one at POST /auth/token',
          fr: 'Le jeton est invalide ou expiré, ou son participant n\'est pas actif : demandez-en un nouveau sur POST /auth/token' }
        : { en: 'A bearer token is required: get one at POST /auth/token (OAuth2 client credentials)',
          fr: 'Un jeton (Bearer) est requis : demandez-le sur POST /auth/token (identifiants client OAuth2)' });
    }
    req.caller = caller;
    next();
  };
}
