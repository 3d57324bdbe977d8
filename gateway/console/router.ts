/**
 * The operator console: its login (POST /console/session with an operator client's id and secret sets
 * the session cookie of session.ts), who is logged in (GET), logout (DELETE), and the built single-page
 * app (console/ at the repository top, built by Vite into dist/console) served as static files under a
 * strict Content-Security-Policy: scripts, styles and requests from the gateway's own origin only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ADMIN_SCOPE, SCOPES_BY_KIND } from '../auth/tokens.js';
import type { ClientStore } from '../auth/clients.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { gatewayError } from '../fhir/outcomes.js';
import { ConsoleSessions, CSRF_HEADER, type ConsoleSession } from './session.js';

export interface ConsoleDeps {
  readonly sessions: ConsoleSessions;
  readonly clients: ClientStore;
  readonly registry: ParticipantRegistry;
  readonly clientSecretsEnabled: boolean;
  /** Counts a login attempt from this address; 0 when allowed, else the milliseconds to wait. */
  readonly limitLogins: (address: string) => Promise<number>;
}

/** The console's pages and scripts: only from here, nothing inline, no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "font-src 'self'",
  "manifest-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/** Where the built console is: dist/console, seen from the sources (tests) or from the compiled gateway. */
function consoleDirectory(): string | undefined {
  const candidates = ['../../dist/console/', '../../console/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}index.html`) && existsSync(`${dir}assets`)); // the sources' index.html has no assets/
}

function sessionView(session: ConsoleSession) {
  return {
    authenticated: true, clientId: session.caller.clientId, participant: session.caller.participantId,
    scopes: [...session.caller.scopes], expiresAt: new Date(session.expiresAt * 1000).toISOString(),
  };
}

/** The login body: { clientId, secret }. */
function credentials(body: unknown): { clientId: string; secret: string } {
  const { clientId, secret } = (body ?? {}) as Record<string, unknown>;
  if (typeof clientId !== 'string' || typeof secret !== 'string' || !clientId || !secret || clientId.length > 200 || secret.length > 500) {
    throw gatewayError('body-unreadable', { en: 'Send {"clientId": "...", "secret": "..."} as application/json', fr: 'Envoyez {"clientId": "...", "secret": "..."} en application/json' });
  }
  return { clientId, secret };
}

function requireCsrf(req: Request): void {
  if (!ConsoleSessions.passesCsrf(req)) throw gatewayError('csrf-header-missing', { en: `This request must carry the ${CSRF_HEADER} header`, fr: `Cette requête doit porter l'en-tête ${CSRF_HEADER}` });
}

/** The console router: session routes and the static app. */
export function consoleRouter(deps: ConsoleDeps): express.Router {
  const router = express.Router();
  const { sessions } = deps;

  router.post('/console/session', express.json({ limit: '4kb' }), async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    // Per network address, before the secret is checked: guessing is slowed down.
    const wait = await deps.limitLogins(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (wait > 0) {
      res.set('Retry-After', String(Math.ceil(wait / 1000)));
      throw gatewayError('rate-limited', { en: `Too many login attempts from this address; retry after ${Math.ceil(wait / 1000)} s`, fr: `Trop de tentatives de connexion depuis cette adresse ; réessayez dans ${Math.ceil(wait / 1000)} s` });
    }
    requireCsrf(req);
    if (!req.is('application/json')) throw gatewayError('content-type', { en: 'Send the login as application/json', fr: 'Envoyez la connexion en application/json' });
    if (!deps.clientSecretsEnabled) {
      throw gatewayError('unauthenticated', { en: 'Client secrets are disabled on this gateway, so the console cannot log in: use the operator API with private_key_jwt tokens (docs/console.md)', fr: 'Les secrets clients sont désactivés sur cette passerelle, la console ne peut donc pas se connecter : utilisez l\'API des opérateurs avec des jetons private_key_jwt (docs/console.md)' });
    }
    const { clientId, secret } = credentials(req.body);
    const client = await deps.clients.authenticate(clientId, secret);
    const participant = client ? await deps.registry.get(client.participantId) : undefined;
    // One answer for every refusal: it does not tell which client ids exist or are operators.
    if (!client || participant?.status !== 'active' || participant.kind !== 'operator' || !client.scopes.includes(ADMIN_SCOPE)) {
      throw gatewayError('unauthenticated', { en: 'Unknown client, wrong secret, or not an active operator client with the admin scope', fr: 'Client inconnu, secret erroné, ou client qui n\'est pas celui d\'un opérateur actif avec le scope admin' });
    }
    res.locals.authenticatedParticipant = participant.id; // for the audit event of this login
    res.locals.authenticatedClient = client.clientId;
    const scopes = new Set(client.scopes.filter((s) => SCOPES_BY_KIND.operator.includes(s)));
    const session = await sessions.start(res, { participantId: participant.id, kind: participant.kind, clientId: client.clientId, scopes });
    res.json(sessionView(session));
  });

  router.get('/console/session', async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const token = sessions.token(req);
    const session = token ? await sessions.verify(token) : undefined;
    if (!session || (await deps.registry.get(session.caller.participantId))?.status !== 'active') {
      if (token) sessions.clear(res);
      return res.json({ authenticated: false, clientSecretsEnabled: deps.clientSecretsEnabled });
    }
    await sessions.renew(res, session);
    res.json(sessionView(session));
  });

  router.delete('/console/session', async (req: Request, res: Response) => {
    requireCsrf(req);
    const token = sessions.token(req);
    const session = token ? await sessions.verify(token) : undefined;
    if (session) {
      res.locals.authenticatedParticipant = session.caller.participantId; // for the audit event of this logout
      res.locals.authenticatedClient = session.caller.clientId;
      await sessions.end(session);
    }
    sessions.clear(res);
    res.status(204).end();
  });

  const directory = consoleDirectory();
  const headers = (res: Response) => {
    res.set({ 'Content-Security-Policy': CONSOLE_CSP, 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' });
  };
  router.use('/console', (req: Request, res: Response, next: NextFunction) => {
    headers(res);
    if (!directory) {
      res.status(503).type('text/plain').send('The operator console is not built: run npm run build');
      return;
    }
    next();
  });
  if (directory) {
    router.use('/console', express.static(directory, {
      index: 'index.html', fallthrough: true,
      setHeaders: (res, path) => res.setHeader('Cache-Control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
    }));
  }
  return router;
}
