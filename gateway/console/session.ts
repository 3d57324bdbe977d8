/**
 * Browser sessions of the operator console. A browser cannot send a bearer token on a page load, so a
 * login (console/router.ts) puts an access token of the gateway's own TokenService (same key, same
 * verification) in a cookie: HttpOnly (scripts never read it), SameSite=Strict (never sent by another
 * site's page), Secure behind https, and short-lived with a sliding expiry. Requests that change state
 * with this cookie must also carry the X-Passerelle-CSRF header, which a cross-site form cannot send
 * and a cross-site script cannot add without a CORS preflight the gateway never grants.
 *
 * A session has an id (the tokens' `sid`, kept through renewals). Logging out records it as ended in
 * PostgreSQL, so that no token of that session works again, in any API process, even from a copy of
 * the cookie taken before the logout.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { decodeJwt } from 'jose';
import type { Caller, TokenService } from '../auth/tokens.js';
import type { Queryable } from '../store/database.js';

/** The header state-changing cookie requests must carry (any non-empty value). */
export const CSRF_HEADER = 'X-Passerelle-CSRF';

/** How long a session lasts without use. */
export const SESSION_TTL_SECONDS = 30 * 60;

/** A session token older than this is renewed on use (sliding expiry without a Set-Cookie per request). */
const RENEW_AFTER_SECONDS = 60;

/** Methods that never change state. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A verified session. */
export interface ConsoleSession {
  readonly id: string;
  readonly caller: Caller;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Reads, issues, renews and clears console session cookies. */
export class ConsoleSessions {
  /** The cookie's name: the __Host- prefix (Secure, Path=/, no Domain enforced by browsers) behind https. */
  readonly cookieName: string;
  private tokens?: Promise<TokenService>;

  /** openTokens gives a TokenService with the session's lifetime (opened on first use). */
  constructor(private readonly openTokens: (ttlSeconds: number) => Promise<TokenService>, private readonly db: Queryable, readonly secure: boolean) {
    this.cookieName = secure ? '__Host-passerelle-console' : 'passerelle-console';
  }

  private service(): Promise<TokenService> {
    return (this.tokens ??= this.openTokens(SESSION_TTL_SECONDS));
  }

  /** The session cookie's token on this request, if any. */
  token(req: Request): string | undefined {
    for (const part of (req.get('cookie') ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === this.cookieName) return part.slice(eq + 1).trim() || undefined;
    }
    return undefined;
  }

  /** The session a token proves, or undefined when it is invalid, expired, or logged out. */
  async verify(token: string): Promise<ConsoleSession | undefined> {
    const caller = await (await this.service()).verify(token);
    if (!caller) return undefined;
    const { iat = 0, exp = 0, sid } = decodeJwt(token);
    if (typeof sid !== 'string') return undefined; // an API access token, not a console session's
    const ended = await this.db.query('select 1 from console_sessions_ended where session_id = $1', [sid], { name: 'console-session-ended' });
    if (ended.rows.length > 0) return undefined;
    return { id: sid, caller, issuedAt: iat, expiresAt: exp };
  }

  /** Starts a session for this caller (or renews one, keeping its id): sets the cookie. */
  async start(res: Response, caller: Caller, id: string = randomUUID()): Promise<ConsoleSession> {
    const token = await (await this.service()).issue(caller, id);
    this.setCookie(res, token, SESSION_TTL_SECONDS);
    const now = Math.floor(Date.now() / 1000);
    return { id, caller, issuedAt: now, expiresAt: now + SESSION_TTL_SECONDS };
  }

  /** Renews a session in use once its token is a minute old (sliding expiry). */
  async renew(res: Response, session: ConsoleSession): Promise<void> {
    if (Date.now() / 1000 - session.issuedAt >= RENEW_AFTER_SECONDS) await this.start(res, session.caller, session.id);
  }

  /** Logs a session out: none of its tokens is accepted again. Forgets sessions that have expired anyway. */
  async end(session: ConsoleSession): Promise<void> {
    // Its last token may have been issued up to now; it expires SESSION_TTL_SECONDS later at most.
    await this.db.query(
      `insert into console_sessions_ended (session_id, client_id, expires_at) values ($1, $2, now() + make_interval(secs => $3))
       on conflict (session_id) do nothing`,
      [session.id, session.caller.clientId, SESSION_TTL_SECONDS],
    );
    await this.db.query('delete from console_sessions_ended where expires_at < now()');
  }

  /** Removes the session cookie from this browser. */
  clear(res: Response): void {
    this.setCookie(res, '', 0);
  }

  /** Whether a cookie-authenticated request may change state: safe methods, or the CSRF header present. */
  static passesCsrf(req: Request): boolean {
    return SAFE_METHODS.has(req.method) || Boolean(req.get(CSRF_HEADER));
  }

  private setCookie(res: Response, value: string, maxAgeSeconds: number): void {
    res.append('Set-Cookie', [`${this.cookieName}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(this.secure ? ['Secure'] : [])].join('; '));
  }
}
