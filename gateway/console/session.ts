/**
 * Browser sessions of the operator console. A browser cannot send a bearer token on a page load, so a
 * login (console/router.ts) puts an access token of the gateway's own TokenService (same key, same
 * verification) in a cookie: HttpOnly (scripts never read it), SameSite=Strict (never sent by another
 * site's page), Secure behind https, and short-lived with a sliding expiry. Requests that change state
 * with this cookie must also carry the X-Passerelle-CSRF header, which a cross-site form cannot send
 * and a cross-site script cannot add without a CORS preflight the gateway never grants.
 */
import type { Request, Response } from 'express';
import { decodeJwt } from 'jose';
import type { Caller, TokenService } from '../auth/tokens.js';

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
  constructor(private readonly openTokens: (ttlSeconds: number) => Promise<TokenService>, readonly secure: boolean) {
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

  /** The session a token proves, or undefined when it is invalid or expired. */
  async verify(token: string): Promise<ConsoleSession | undefined> {
    const caller = await (await this.service()).verify(token);
    if (!caller) return undefined;
    const { iat = 0, exp = 0 } = decodeJwt(token);
    return { caller, issuedAt: iat, expiresAt: exp };
  }

  /** Starts a session for this caller: sets the cookie. */
  async start(res: Response, caller: Caller): Promise<ConsoleSession> {
    const token = await (await this.service()).issue(caller);
    this.setCookie(res, token, SESSION_TTL_SECONDS);
    const now = Math.floor(Date.now() / 1000);
    return { caller, issuedAt: now, expiresAt: now + SESSION_TTL_SECONDS };
  }

  /** Renews a session in use once its token is a minute old (sliding expiry). */
  async renew(res: Response, session: ConsoleSession): Promise<void> {
    if (Date.now() / 1000 - session.issuedAt >= RENEW_AFTER_SECONDS) await this.start(res, session.caller);
  }

  /** Ends the session in this browser. */
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
