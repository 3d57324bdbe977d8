/**
 * POST /auth/token: OAuth2 client credentials (RFC 6749 §4.4) with client_secret_post or
 * client_secret_basic. Answers and errors follow the OAuth2 format (RFC 6749 §5.1, §5.2).
 */
import express, { type Request, type Response } from 'express';
import type { ClientStore } from './clients.js';
import { SCOPES_BY_KIND, type TokenService } from './tokens.js';
import type { ParticipantRegistry } from '../participants/registry.js';

function oauthError(res: Response, status: number, error: string, description: string): void {
  if (status === 401) res.set('WWW-Authenticate', 'Basic realm="passerelle"');
  res.status(status).set('Cache-Control', 'no-store').json({ error, error_description: description });
}

/** Client id and secret from the Basic header or the form body. */
function credentials(req: Request): { id?: string; secret?: string } {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization') ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return {
    id: typeof body.client_id === 'string' ? body.client_id : undefined,
    secret: typeof body.client_secret === 'string' ? body.client_secret : undefined,
  };
}

/** The token endpoint router. */
export function tokenRouter(deps: { clients: ClientStore; tokens: TokenService; registry: ParticipantRegistry }): express.Router {
  const router = express.Router();
  router.post('/auth/token', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    if (!req.is('application/x-www-form-urlencoded')) {
      return oauthError(res, 400, 'invalid_request', 'Send the token request as application/x-www-form-urlencoded');
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.grant_type !== 'client_credentials') {
      return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    const { id, secret } = credentials(req);
    if (!id || !secret) return oauthError(res, 401, 'invalid_client', 'client_id and client_secret are required');
    const client = await deps.clients.authenticate(id, secret);
    const participant = client ? await deps.registry.get(client.participantId) : undefined;
    if (!client || !participant || participant.status !== 'active') {
      return oauthError(res, 401, 'invalid_client', 'Unknown client, wrong secret, or participant not active');
    }
    const allowed = client.scopes.filter((s) => SCOPES_BY_KIND[participant.kind].includes(s));
    const asked = typeof body.scope === 'string' && body.scope.trim() ? body.scope.trim().split(/\s+/) : allowed;
    const refused = asked.filter((s) => !allowed.includes(s));
    if (refused.length > 0) return oauthError(res, 400, 'invalid_scope', `Scopes not granted to this client: ${refused.join(' ')}`);
    const caller = { participantId: participant.id, kind: participant.kind, clientId: client.clientId, scopes: new Set(asked) };
    res.set('Cache-Control', 'no-store').json({
      access_token: await deps.tokens.issue(caller),
      token_type: 'Bearer',
      expires_in: deps.tokens.ttlSeconds,
      scope: asked.join(' '),
    });
  });
  return router;
}
