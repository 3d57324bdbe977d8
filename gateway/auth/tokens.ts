/**
 * Short-lived bearer tokens (JWT, HS256) for OAuth2 client credentials. The signing key lives in the
 * database, created on first start, so every API process of a deployment verifies every other's tokens.
 */
import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { Database } from '../store/database.js';
import { deploymentSetting } from '../store/settings.js';
import type { ParticipantKind } from '../participants/registry.js';

const ISSUER = 'urn:passerelle:gateway';
const AUDIENCE = 'urn:passerelle:api';

/** The scope of the operator API (/admin): dead letters, replays, claim inspection. */
export const ADMIN_SCOPE = 'admin';

/**
 * Operators allowed to see patient data: the request and response bundles of claims on the operator API
 * and console. Granted explicitly to an operator client (never by default on /admin/participants).
 */
export const PHI_SCOPE = 'admin:phi';

/** Reading the rest of a claim's conversation (gateway/exchanges/): both parties read what they sent and received. */
const EXCHANGE_READ_SCOPES = ['system/CommunicationRequest.read', 'system/Communication.read', 'system/PaymentNotice.read', 'system/PaymentReconciliation.read'];

/** Scopes each kind of participant may hold. */
export const SCOPES_BY_KIND: Readonly<Record<ParticipantKind, readonly string[]>> = {
  provider: ['system/Claim.write', 'system/Claim.read', 'system/ClaimResponse.read', 'system/CoverageEligibilityRequest.write',
    'system/CoverageEligibilityResponse.read', 'system/Task.write', 'system/AuditEvent.read',
    'system/Communication.write', ...EXCHANGE_READ_SCOPES],
  insurer: ['system/Claim.read', 'system/ClaimResponse.write', 'system/ClaimResponse.read', 'system/CoverageEligibilityResponse.read', 'system/AuditEvent.read',
    'system/CommunicationRequest.write', 'system/PaymentNotice.write', 'system/PaymentReconciliation.write', ...EXCHANGE_READ_SCOPES],
  operator: [ADMIN_SCOPE, PHI_SCOPE, 'system/AuditEvent.read'],
};

/** The scopes a client gets when its registration lists none: every scope of its kind but patient data for operators. */
export function defaultScopes(kind: ParticipantKind): readonly string[] {
  return SCOPES_BY_KIND[kind].filter((s) => s !== PHI_SCOPE);
}

function isKind(value: unknown): value is ParticipantKind {
  return typeof value === 'string' && Object.hasOwn(SCOPES_BY_KIND, value);
}

/** Who is calling, as proven by a verified token. */
export interface Caller {
  readonly participantId: string;
  readonly kind: ParticipantKind;
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
}

/** How many verified tokens an API process remembers (about 1 KB each); the oldest is forgotten first. */
const VERIFIED_TOKENS_KEPT = 10_000;

/** Issues and verifies tokens with the deployment's signing key. */
export class TokenService {
  /**
   * Tokens already verified, by their exact text, with the caller they name and when they expire. A
   * client sends the same token with every request until it expires, and verifying its signature again
   * (an HMAC run as a WebCrypto job, and jose's claim checks) was about 5% of a claim's CPU. Only a text
   * that verified is kept, and only until its own expiry, so the answer is the one verifying would give:
   * there is no revocation of a token before its expiry (the caller's participant status is still checked
   * on every request, by the authenticate middleware).
   */
  private readonly verified = new Map<string, { readonly caller: Caller; readonly expiresAt: number }>();

  // A CryptoKey, imported once: given raw bytes, jose imports the key again on every sign and verify
  // (about 60 µs of a request's CPU; 20 µs a verification with the key imported).
  private constructor(private readonly key: webcrypto.CryptoKey, readonly ttlSeconds: number) {}

  /** Loads the signing key, creating it on the first start of the deployment. */
  static async open(db: Database, ttlSeconds: number): Promise<TokenService> {
    const key = await deploymentSetting(db, 'token-hs256-key', () => randomBytes(32).toString('base64url'));
    const imported = await webcrypto.subtle.importKey('raw', Buffer.from(key, 'base64url'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return new TokenService(imported, ttlSeconds);
  }

  /** A signed access token for this caller; a console session's tokens also carry its id (sid). */
  issue(caller: Caller, sessionId?: string): Promise<string> {
    return new SignJWT({ ptp: caller.participantId, knd: caller.kind, scope: [...caller.scopes].join(' '), ...(sessionId ? { sid: sessionId } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(caller.clientId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** The caller a token names, or undefined when it is invalid or expired. */
  async verify(token: string): Promise<Caller | undefined> {
    const known = this.verified.get(token);
    if (known) {
      // jose refuses a token once the current second reaches its exp: the same instant, in milliseconds.
      if (Date.now() < known.expiresAt) return known.caller;
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      const kind = payload.knd;
      if (typeof payload.ptp !== 'string' || typeof payload.sub !== 'string' || !isKind(kind)) {
        return undefined;
      }
      const scopes: ReadonlySet<string> = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []);
      const caller: Caller = Object.freeze({ participantId: payload.ptp, kind, clientId: payload.sub, scopes });
      if (typeof payload.exp === 'number') this.remember(token, caller, payload.exp * 1000);
      return caller;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return undefined;
      throw err;
    }
  }

  private remember(token: string, caller: Caller, expiresAt: number): void {
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
      // A Map iterates in insertion order, and one service's tokens share a lifetime: the oldest expire
      // first. Forget those expired, stopping at the first still valid, then the oldest if still full.
      const now = Date.now();
      for (const [text, entry] of this.verified) {
        if (entry.expiresAt > now) break;
        this.verified.delete(text);
      }
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, { caller, expiresAt });
  }
}
