/**
 * private_key_jwt client authentication, as SMART Backend Services (and RFC 7523) define it: the client
 * signs a short-lived JWT with its private key (RS384 or ES384); the gateway checks it against the JWK
 * set the client registered, inline or by URL (fetched, cached, and fetched again when an unknown kid
 * appears, so clients rotate keys by publishing the new one first), and refuses a replayed jti.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { AuthenticatedClient, ClientRecord, ClientStore } from './clients.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'];
/** SMART: the assertion's exp SHALL be no more than five minutes in the future. */
const MAX_LIFETIME_S = 300;
/** Tolerated clock difference with the client. */
const CLOCK_SKEW_S = 30;

/** A refused assertion; the message is safe to return to the client. */
export class AssertionError extends Error {}

/** Key sets by client: one remote set per URL, kept for the life of the process (jose caches the keys). */
/** A client's key set, usable by jwtVerify and flattenedVerify alike. */
export type ClientKeySet = ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

export class ClientKeySets {
  private readonly remote = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  keysOf(client: ClientRecord): ClientKeySet {
    if (client.jwksUrl) {
      let set = this.remote.get(client.jwksUrl);
      if (!set) {
        set = createRemoteJWKSet(new URL(client.jwksUrl), { cacheMaxAge: 600_000, cooldownDuration: 5000, timeoutDuration: 5000 });
        this.remote.set(client.jwksUrl, set);
      }
      return set;
    }
    if (client.jwks) return createLocalJWKSet(client.jwks);
    throw new AssertionError('This client has no registered keys: it cannot use private_key_jwt');
  }
}

/** Checks a client assertion for the token endpoint at audience; returns the client it authenticates. */
export async function verifyClientAssertion(
  assertion: string, audience: string, deps: { clients: ClientStore; keySets: ClientKeySets },
): Promise<AuthenticatedClient> {
  let unverified: ReturnType<typeof decodeJwt>;
  try {
    unverified = decodeJwt(assertion);
  } catch {
    throw new AssertionError('client_assertion is not a JWT');
  }
  const clientId = unverified.iss;
  if (typeof clientId !== 'string' || unverified.sub !== clientId) throw new AssertionError('iss and sub of the assertion must both be the client_id');
  const client = await deps.clients.find(clientId);
  if (!client?.active) throw new AssertionError('Unknown or disabled client');
  const { payload } = await verifySignature(assertion, client, audience, deps.keySets);
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number' || payload.exp > now + MAX_LIFETIME_S + CLOCK_SKEW_S) {
    throw new AssertionError(`exp must be at most ${MAX_LIFETIME_S} seconds ahead`);
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 255) throw new AssertionError('jti is required');
  if (!(await deps.clients.useAssertion(clientId, payload.jti, new Date((payload.exp + CLOCK_SKEW_S) * 1000)))) {
    throw new AssertionError('This assertion (jti) was already used');
  }
  return { clientId, participantId: client.participantId, scopes: client.scopes };
}

async function verifySignature(assertion: string, client: ClientRecord, audience: string, keySets: ClientKeySets) {
  try {
    return await jwtVerify(assertion, keySets.keysOf(client), {
      algorithms: ASSERTION_ALGORITHMS, issuer: client.clientId, subject: client.clientId, audience,
      clockTolerance: CLOCK_SKEW_S, requiredClaims: ['exp', 'jti'],
    });
  } catch (err) {
    if (err instanceof AssertionError) throw err;
    if (err instanceof joseErrors.JWKSNoMatchingKey) throw new AssertionError('No registered key matches the assertion (kid or algorithm)', { cause: err });
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new AssertionError('The assertion signature does not verify', { cause: err });
    if (err instanceof joseErrors.JWTExpired) throw new AssertionError('The assertion has expired', { cause: err });
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new AssertionError(`The assertion's ${err.claim} is not valid: ${err.reason === 'check_failed' ? `it must be ${err.claim === 'aud' ? audience : 'the expected value'}` : err.reason}`, { cause: err });
    if (err instanceof joseErrors.JOSEAlgNotAllowed) throw new AssertionError(`The assertion must be signed with ${ASSERTION_ALGORITHMS.join(' or ')}`, { cause: err });
    if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JOSEError) throw new AssertionError(`The assertion could not be verified: ${err.message}`, { cause: err });
    throw err;
  }
}
