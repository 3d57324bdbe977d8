/**
 * How the `passerelle` commands talk HTTP to a running gateway: where it is and as which client
 * (PASSERELLE_URL, PASSERELLE_CLIENT_ID, PASSERELLE_CLIENT_SECRET), an OAuth token per connection, and
 * one typed error per way a call can fail, each with its exit code (docs/cli.md):
 *   0 success · 1 the gateway refused (4xx) or the result is negative · 2 usage or configuration
 *   (settings missing, credentials refused) · 3 the gateway could not be reached or failed (5xx).
 * Operators (the /admin API) and participants (the FHIR API) use the same connection.
 */
import type { Language } from '../validation/rules.js';
import { UsageError } from '../validation/validate-cli.js';

/** Where and as whom a command talks to the gateway. */
export interface GatewayConnection {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Language of the gateway's messages (sent as Accept-Language). */
  readonly language?: Language;
  /** How long one HTTP call may take (default 30 s). */
  readonly timeoutMs?: number;
}

/** The connection of the operator commands (dead-letters, participants). */
export type OperatorConnection = GatewayConnection;

/** Whose credentials a command needs, for the message naming what is missing. */
export type ClientRole = 'operator' | 'participant';

/** The exit codes of the commands that call the gateway. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

const DEFAULT_URL = 'http://127.0.0.1:8080';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEMO_CLIENT: Record<ClientRole, string> = { operator: 'demo-operator / demo-operator-secret', participant: 'demo-clinic / demo-clinic-secret' };

/** PASSERELLE_URL or the client credentials are missing or wrong (exit 2). */
export class ConnectionSettingsError extends Error {
  override readonly name = 'ConnectionSettingsError';
  constructor(readonly problem: 'credentials' | 'url', readonly role: ClientRole, readonly value?: string) {
    super(problem === 'credentials'
      ? `Set PASSERELLE_CLIENT_ID and PASSERELLE_CLIENT_SECRET to ${role === 'operator' ? 'an operator' : 'a participant'} client (demo: ${DEMO_CLIENT[role]})`
      : `PASSERELLE_URL must be an http:// or https:// URL, not "${value}"`);
  }
}

/** The token endpoint refused the client (exit 2: fix the credentials). */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(readonly status: number, readonly description: string | undefined) {
    super(`Authentication failed: ${description ?? status}`);
  }
}

/** No answer from the gateway: refused connection, unknown host, timeout (exit 3). */
export class GatewayUnreachable extends Error {
  override readonly name = 'GatewayUnreachable';
  constructor(readonly url: string, readonly detail: string, cause?: unknown) {
    super(`The gateway does not answer at ${url}: ${detail}`, { cause });
  }
}

/** The gateway answered 5xx, or something that is not the gateway answered (exit 3). */
export class GatewayFailure extends Error {
  override readonly name = 'GatewayFailure';
  constructor(readonly url: string, readonly status: number, readonly detail?: string) {
    super(`The gateway at ${url} answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
  }
}

/** An issue of an OperationOutcome, as much as the commands read of it. */
export interface OutcomeIssue {
  readonly severity: 'fatal' | 'error' | 'warning' | 'information';
  readonly code: string;
  readonly details?: { readonly coding?: ReadonlyArray<{ readonly code?: string }>; readonly text?: string };
  readonly diagnostics?: string;
  readonly expression?: readonly string[];
}

/** The gateway refused the request (4xx) with an OperationOutcome (exit 1). */
export class GatewayRefusal extends Error {
  override readonly name = 'GatewayRefusal';
  readonly issues: readonly OutcomeIssue[];
  constructor(readonly status: number, readonly body: Record<string, unknown>, readonly headers: Headers = new Headers()) {
    const issues = Array.isArray(body.issue) ? (body.issue as OutcomeIssue[]) : [];
    super(issues.length > 0 ? issues.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; ') : `HTTP ${status}`);
    this.issues = issues;
  }
}

/** The exit code for an error thrown by a command (EXIT). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof GatewayRefusal) return EXIT.refused;
  if (err instanceof GatewayUnreachable || err instanceof GatewayFailure) return EXIT.unreachable;
  return EXIT.usage; // settings, credentials, usage, and anything else that kept the command from running
}

/**
 * The connection from the environment; throws ConnectionSettingsError naming what is missing. The role
 * only words the message: an operator client for /admin, a participant's for the FHIR API.
 */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env, role: ClientRole = 'operator'): GatewayConnection {
  const { PASSERELLE_CLIENT_ID: clientId, PASSERELLE_CLIENT_SECRET: clientSecret } = env;
  const url = (env.PASSERELLE_URL || DEFAULT_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+/i.test(url) || !URL.canParse(url)) throw new ConnectionSettingsError('url', role, url);
  if (!clientId || !clientSecret) throw new ConnectionSettingsError('credentials', role);
  return { url, clientId, clientSecret };
}

/** What a call sends besides the method and path. */
export interface CallOptions {
  /** JSON to send (stringified), or a body already serialised (sent as is). */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A successful answer. */
export interface GatewayAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

const tokens = new WeakMap<GatewayConnection, { token: string; expiresAt: number }>();

/**
 * Calls the gateway as the connection's client and returns a 2xx answer; throws GatewayRefusal (4xx),
 * GatewayFailure (5xx, not JSON), GatewayUnreachable or AuthenticationError. The token is fetched once
 * per connection and again when it has expired.
 */
export async function gatewayCall(conn: GatewayConnection, method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<GatewayAnswer> {
  for (let attempt = 1; ; attempt++) {
    const token = await accessToken(conn);
    const hasBody = options.body !== undefined;
    const answer = await send(conn, `${conn.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`, Accept: 'application/fhir+json, application/json',
        ...(conn.language ? { 'Accept-Language': conn.language } : {}),
        ...(hasBody ? { 'Content-Type': options.contentType ?? 'application/json' } : {}),
        ...options.headers,
      },
      ...(hasBody ? { body: typeof options.body === 'string' || options.body instanceof Uint8Array ? options.body : JSON.stringify(options.body) } : {}),
    });
    if (answer.status === 401 && attempt === 1) {
      tokens.delete(conn); // expired between two calls: once more with a new token
      continue;
    }
    const body = await jsonBody(conn, answer);
    if (answer.status >= 400 && answer.status < 500) throw new GatewayRefusal(answer.status, body, answer.headers);
    if (!answer.ok) throw new GatewayFailure(conn.url, answer.status, new GatewayRefusal(answer.status, body).message);
    return { status: answer.status, headers: answer.headers, body };
  }
}

/** Calls the operator API and returns the answer's body; throws like gatewayCall (GatewayRefusal carries the gateway's message). */
export async function operatorCall(conn: OperatorConnection, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  return (await gatewayCall(conn, method, path, { body })).body;
}

async function accessToken(conn: GatewayConnection): Promise<string> {
  const cached = tokens.get(conn);
  if (cached && cached.expiresAt > Date.now()) return cached.token;
  const answer = await send(conn, `${conn.url}/auth/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: conn.clientId, client_secret: conn.clientSecret }),
  });
  if (answer.status >= 500) throw new GatewayFailure(conn.url, answer.status);
  const token = (await jsonBody(conn, answer)) as { access_token?: string; expires_in?: number; error_description?: string };
  if (!token.access_token) throw new AuthenticationError(answer.status, token.error_description);
  // Renewed 10 s before the gateway would refuse it.
  tokens.set(conn, { token: token.access_token, expiresAt: Date.now() + Math.max(0, (token.expires_in ?? 60) - 10) * 1000 });
  return token.access_token;
}

async function send(conn: GatewayConnection, url: string, init: RequestInit): Promise<Response> {
  const timeoutMs = conn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const error = err as Error & { cause?: { code?: string; message?: string } };
    const detail = error.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (error.cause?.code ?? error.cause?.message ?? error.message);
    throw new GatewayUnreachable(conn.url, detail, err);
  }
}

async function jsonBody(conn: GatewayConnection, answer: Response): Promise<Record<string, unknown>> {
  const text = await answer.text().catch(() => '');
  try {
    const body: unknown = text ? JSON.parse(text) : {};
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // not JSON: below
  }
  throw new GatewayFailure(conn.url, answer.status, `not a JSON answer (${answer.headers.get('content-type') ?? 'no content type'}): is PASSERELLE_URL the gateway?`);
}

/** Throws a UsageError (exit 2) with the message, for the commands' own checks. */
export function usage(message: string): never {
  throw new UsageError(message);
}
