/**
 * Bearer-token authentication for the FHIR API: verifies the token and that the participant it names is
 * still registered and active. A failure is a 401 OperationOutcome with a WWW-Authenticate challenge.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { TokenService } from '../auth/tokens.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { gatewayError } from '../fhir/outcomes.js';

/** Middleware setting req.caller from the Authorization header. */
export function authenticate(tokens: TokenService, registry: ParticipantRegistry): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    const caller = match ? await tokens.verify(match[1]!) : undefined;
    const participant = caller ? await registry.get(caller.participantId) : undefined;
    if (!caller || participant?.status !== 'active') {
      res.set('WWW-Authenticate', `Bearer realm="passerelle"${header ? ', error="invalid_token"' : ''}`);
      throw gatewayError('unauthenticated', header
        ? 'The bearer token is invalid or expired, or its participant is not active; get a new one at POST /auth/token'
        : 'A bearer token is required: get one at POST /auth/token (OAuth2 client credentials)');
    }
    req.caller = caller;
    next();
  };
}
