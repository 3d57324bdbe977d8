// The JWTs openIMIS's login hands out, checked against the sandbox clock so a test that moves `now`
// can expire them. Each sandbox signs with its own random secret; each token names its insurer (aud)
// and carries a serial number (jti), so the control API can revoke every token issued so far.
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/** A token as the login answers it: `exp` in epoch seconds. */
export interface IssuedToken {
  readonly token: string;
  readonly exp: number;
}

/** Why a token was refused: openIMIS tells an expired token apart from every other bad one. */
export type TokenCheck = 'valid' | 'expired' | 'invalid';

/** Issues and checks the openIMIS face's tokens for every insurer of one sandbox. */
export class OpenImisTokens {
  private readonly secret = randomBytes(32);
  private issued = 0;
  private revokedThrough = 0;

  /** Signs a token for a user of an insurer, valid for ttlSeconds from `now`. */
  async issue(insurerId: string, username: string, ttlSeconds: number, now: Date): Promise<IssuedToken> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + ttlSeconds;
    this.issued += 1;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(username)
      .setAudience(insurerId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(String(this.issued))
      .sign(this.secret);
    return { token, exp };
  }

  /** Checks a token's signature, expiry (by `now`), insurer and revocation. */
  async check(insurerId: string, token: string, now: Date): Promise<TokenCheck> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], audience: insurerId, currentDate: now });
      const serial = Number(payload.jti);
      return Number.isInteger(serial) && serial > this.revokedThrough ? 'valid' : 'invalid';
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        return 'expired';
      }
      return 'invalid';
    }
  }

  /** Revokes every token issued so far; later logins get valid tokens again. */
  revokeAll(): void {
    this.revokedThrough = this.issued;
  }
}
