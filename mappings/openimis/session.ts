/**
 * The gateway's openIMIS session: openIMIS's FHIR module takes a JWT from POST {base}/login/
 * ({username, password} → {token, exp}). One token per openIMIS base and user, shared by every
 * delivery and poll of this process, renewed shortly before it expires, and at once when openIMIS
 * answers 401 (a token revoked or expired early): the request is then sent again once.
 */
import { TransientDeliveryError } from '../adapter.js';
import type { OpenImisSettings } from './settings.js';

/** Renew this long before the token's stated expiry. */
const RENEW_BEFORE_MS = 30_000;

interface Session {
  token: string;
  expiresAt: number;
}

/** Tokens by base URL and user; a login in flight is shared. */
const sessions = new Map<string, Promise<Session>>();

function keyOf(settings: OpenImisSettings): string {
  return `${settings.baseUrl}\u0000${process.env[settings.usernameEnv] ?? ''}`;
}

async function login(settings: OpenImisSettings, signal: AbortSignal): Promise<Session> {
  const username = process.env[settings.usernameEnv];
  const password = process.env[settings.passwordEnv];
  if (!username || !password) {
    throw new TransientDeliveryError(`openIMIS credentials missing: set the environment variables ${settings.usernameEnv} and ${settings.passwordEnv}`);
  }
  let res: Response;
  try {
    res = await fetch(`${settings.baseUrl}/login/`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ username, password }), signal,
    });
  } catch (err) {
    throw new TransientDeliveryError(`openIMIS at ${settings.baseUrl} unreachable for login: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as { token?: unknown; exp?: unknown } | undefined;
  if (res.status === 401 || res.status === 403) throw new TransientDeliveryError(`openIMIS refused the gateway's login (HTTP ${res.status}): check ${settings.usernameEnv} and ${settings.passwordEnv}`);
  if (!res.ok || typeof body?.token !== 'string') throw new TransientDeliveryError(`openIMIS login answered HTTP ${res.status} without a token`);
  const exp = typeof body.exp === 'number' ? body.exp * 1000 : Date.now() + 5 * 60_000;
  return { token: body.token, expiresAt: exp };
}

/** A valid token, logging in when there is none, it is about to expire, or renew asks for a new one. */
export async function tokenFor(settings: OpenImisSettings, signal: AbortSignal, renew = false): Promise<string> {
  const key = keyOf(settings);
  const pending = sessions.get(key);
  if (pending && !renew) {
    const session = await pending.catch(() => undefined);
    if (session && session.expiresAt - RENEW_BEFORE_MS > Date.now()) return session.token;
    const latest = sessions.get(key);
    if (latest && latest !== pending) return tokenFor(settings, signal); // another caller renewed meanwhile
  }
  const next = login(settings, signal);
  sessions.set(key, next);
  next.catch(() => {
    if (sessions.get(key) === next) sessions.delete(key);
  });
  return (await next).token;
}

/**
 * Sends a request to openIMIS with the session's token; on 401 logs in again and sends it once more.
 * Network failures and timeouts are TransientDeliveryErrors.
 */
export async function openImisFetch(settings: OpenImisSettings, path: string, init: RequestInit & { signal: AbortSignal }): Promise<Response> {
  const send = async (token: string) => {
    try {
      return await fetch(`${settings.baseUrl}${path}`, {
        ...init, headers: { Accept: 'application/fhir+json, application/json', ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` },
      });
    } catch (err) {
      const cause = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
      throw new TransientDeliveryError(`openIMIS at ${settings.baseUrl} unreachable: ${cause}`);
    }
  };
  const first = await send(await tokenFor(settings, init.signal));
  if (first.status !== 401) return first;
  await first.body?.cancel();
  return send(await tokenFor(settings, init.signal, true));
}

/** Forgets every session (tests). */
export function forgetSessions(): void {
  sessions.clear();
}
