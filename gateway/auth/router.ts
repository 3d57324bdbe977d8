/**
 * POST /auth/token: OAuth2 client credentials (RFC 6749 §4.4). Clients authenticate with a signed JWT
 * (private_key_jwt, SMART Backend Services) or, where client secrets are enabled (demo, sandbox), with
 * client_secret_post or client_secret_basic. Answers and errors follow the OAuth2 format (RFC 6749
 * §5.1, §5.2). GET /.well-known/smart-configuration describes it.
 */
import express, { type Request, type Response } from 'express';
import type { AuthenticatedClient, ClientStore } from './clients.js';
import { ASSERTION_ALGORITHMS, ASSERTION_TYPE, AssertionError, verifyClientAssertion, type ClientKeySets } from './client-assertion.js';
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

export interface TokenRouterDeps {
  readonly clients: ClientStore;
  readonly tokens: TokenService;
  readonly registry: ParticipantRegistry;
  readonly clientSecretsEnabled: boolean;
  readonly publicBaseUrl?: string;
  readonly keySets: ClientKeySets;
  /** Counts a token request from this address; 0 when allowed, else the milliseconds to wait. */
  readonly limitTokenRequests: (address: string) => Promise<number>;
}

function baseUrl(req: Request, publicBaseUrl?: string): string {
  return publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The client the request authenticates, or an OAuth2 error already sent (undefined). */
async function authenticateClient(req: Request, res: Response, deps: TokenRouterDeps): Promise<AuthenticatedClient | undefined> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (body.client_assertion_type !== undefined || body.client_assertion !== undefined) {
    if (body.client_assertion_type !== ASSERTION_TYPE || typeof body.client_assertion !== 'string') {
      oauthError(res, 400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}, with a client_assertion`);
      return undefined;
    }
    try {
      const client = await verifyClientAssertion(body.client_assertion, `${baseUrl(req, deps.publicBaseUrl)}/auth/token`, deps);
      if (typeof body.client_id === 'string' && body.client_id !== client.clientId) throw new AssertionError('client_id does not match the assertion');
      return client;
    } catch (err) {
      if (!(err instanceof AssertionError)) throw err;
      oauthError(res, 401, 'invalid_client', err.message);
      return undefined;
    }
  }
  const { id, secret } = credentials(req);
  if (!deps.clientSecretsEnabled) {
    oauthError(res, 401, 'invalid_client', 'Client secrets are disabled on this gateway: authenticate with private_key_jwt (see /.well-known/smart-configuration)');
    return undefined;
  }
  if (!id || !secret) {
    oauthError(res, 401, 'invalid_client', 'client_id and client_secret, or a client_assertion, are required');
    return undefined;
  }
  const client = await deps.clients.authenticate(id, secret);
  if (!client) oauthError(res, 401, 'invalid_client', 'Unknown client, wrong secret, or participant not active');
  return client;
}

/** The token endpoint router, with SMART discovery. */
export function tokenRouter(deps: TokenRouterDeps): express.Router {
  const router = express.Router();
  router.get('/.well-known/smart-configuration', (req, res) => {
    const base = baseUrl(req, deps.publicBaseUrl);
    res.set('Cache-Control', 'public, max-age=300').json({
      token_endpoint: `${base}/auth/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt', ...(deps.clientSecretsEnabled ? ['client_secret_post', 'client_secret_basic'] : [])],
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      scopes_supported: [...new Set(Object.values(SCOPES_BY_KIND).flat())],
      capabilities: ['client-confidential-asymmetric'],
    });
  });
  router.post('/auth/token', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    // Per network address, before any secret or signature is checked: guessing is slowed down.
    const wait = await deps.limitTokenRequests(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (wait > 0) {
      res.set('Retry-After', String(Math.ceil(wait / 1000)));
      return oauthError(res, 429, 'temporarily_unavailable', `Too many token requests from this address; retry after ${Math.ceil(wait / 1000)} s`);
    }
    if (!req.is('application/x-www-form-urlencoded')) {
      return oauthError(res, 400, 'invalid_request', 'Send the token request as application/x-www-form-urlencoded');
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.grant_type !== 'client_credentials') {
      return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    const client = await authenticateClient(req, res, deps);
    if (!client) return;
    const participant = await deps.registry.get(client.participantId);
    if (!participant || participant.status !== 'active') {
      return oauthError(res, 401, 'invalid_client', 'The participant of this client is not active');
    }
    const allowed = client.scopes.filter((s) => SCOPES_BY_KIND[participant.kind].includes(s));
    const asked = typeof body.scope === 'string' && body.scope.trim() ? body.scope.trim().split(/\s+/) : allowed;
    const refused = asked.filter((s) => !allowed.includes(s));
    if (refused.length > 0) return oauthError(res, 400, 'invalid_scope', `Scopes not granted to this client: ${refused.join(' ')}`);
    const caller = { participantId: participant.id, kind: participant.kind, clientId: client.clientId, scopes: new Set(asked) };
    res.locals.authenticatedParticipant = participant.id; // for the audit event of this login
    res.locals.authenticatedClient = client.clientId;
    res.set('Cache-Control', 'no-store').json({
      access_token: await deps.tokens.issue(caller),
      token_type: 'Bearer',
      expires_in: deps.tokens.ttlSeconds,
      scope: asked.join(' '),
    });
  });
  return router;
}
