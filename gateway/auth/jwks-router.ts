/**
 * GET /.well-known/jwks.json: the gateway's public keys (RFC 7517 JWK Set), unauthenticated: its signing
 * keys, and its encryption key (use "enc", for payloads encrypted to the gateway),
 * so providers and insurers can verify the gateway's signatures (the Passerelle-JWS header of callbacks).
 * Public members only; SigningKeys builds them without the private part.
 */
import express from 'express';
import type { SigningKeys } from './signing-keys.js';
import type { EncryptionKey } from './payload-encryption.js';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * Receivers may cache the set this long. A rotation's new key is unknown to a receiver's cached copy,
 * so receivers refetch on an unknown kid (jose's createRemoteJWKSet does); see docs/security.md.
 */
const CACHE_SECONDS = 300;

/** The JWKS router. */
export function jwksRouter(keys: SigningKeys, encryption?: EncryptionKey): express.Router {
  const router = express.Router();
  router.get(JWKS_PATH, async (_req, res) => {
    const signing = await keys.publicJwks();
    // The encryption key (use "enc") is there for participants that encrypt requests to the gateway.
    const jwks = encryption ? { keys: [...signing.keys, encryption.publicJwk] } : signing;
    res.set('Cache-Control', `public, max-age=${CACHE_SECONDS}`);
    res.type('application/jwk-set+json').send(JSON.stringify(jwks));
  });
  return router;
}
