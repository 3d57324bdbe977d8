/**
 * Optional payload encryption, compatible with HCX: a JWE (RSA-OAEP-256, A256GCM) carried as
 * {"payload": "<compact JWE>"}. Inbound, any participant may encrypt a request body to the gateway's
 * encryption key (published in the JWKS with use "enc"); the gateway decrypts before reading it.
 * Outbound, pushes to a participant that asked for encryption are encrypted to the "enc" key it
 * registered. The gateway's RSA key is created on a deployment's first start and kept in the database.
 */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, CompactEncrypt, compactDecrypt, importJWK, type JWK } from 'jose';
import { gatewayError } from '../fhir/outcomes.js';
import type { Queryable } from '../store/database.js';
import { deploymentSetting } from '../store/settings.js';
import type { ClientStore } from './clients.js';

export const JWE_ALG = 'RSA-OAEP-256';
export const JWE_ENC = 'A256GCM';
const COMPACT_JWE = /^[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/;

/** The gateway's encryption key pair: decrypts what participants encrypt to it. */
export class EncryptionKey {
  private constructor(private readonly privateKey: Awaited<ReturnType<typeof importJWK>>, readonly publicJwk: JWK) {}

  /** Loads the key, creating it on the deployment's first start. */
  static async open(db: Queryable): Promise<EncryptionKey> {
    const text = await deploymentSetting(db, 'encryption-key-rsa-oaep-256', () =>
      JSON.stringify(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })));
    const jwk = JSON.parse(text) as JWK;
    const { kty, n, e } = jwk;
    const publicJwk: JWK = { kty, n, e };
    publicJwk.kid = await calculateJwkThumbprint(publicJwk);
    return new EncryptionKey(await importJWK(jwk, JWE_ALG), { ...publicJwk, use: 'enc', alg: JWE_ALG });
  }

  /** The plaintext of a compact JWE encrypted to this key; 400 jwe-invalid when it does not decrypt. */
  async decrypt(jwe: string): Promise<Buffer> {
    try {
      const { plaintext } = await compactDecrypt(jwe, this.privateKey, { keyManagementAlgorithms: [JWE_ALG], contentEncryptionAlgorithms: [JWE_ENC] });
      return Buffer.from(plaintext);
    } catch {
      throw gatewayError('jwe-invalid', { en: `The payload does not decrypt: a compact JWE (${JWE_ALG}, ${JWE_ENC}) to the gateway's encryption key (use "enc" in /.well-known/jwks.json) is expected`, fr: `Le contenu ne se déchiffre pas : un JWE compact (${JWE_ALG}, ${JWE_ENC}) chiffré pour la clé de chiffrement de la passerelle (use "enc" dans /.well-known/jwks.json) est attendu` });
    }
  }
}

/** The JWE in an HCX-style envelope {"payload": "<compact JWE>"} (nothing else), or undefined. */
export function envelopedJwe(body: Record<string, unknown>): string | undefined {
  const keys = Object.keys(body);
  return keys.length === 1 && keys[0] === 'payload' && typeof body.payload === 'string' && COMPACT_JWE.test(body.payload) ? body.payload : undefined;
}

/** Encrypts a body to a JWK (use "enc"), in the HCX envelope. */
export async function encryptTo(jwk: JWK, body: string): Promise<string> {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(body))
    .setProtectedHeader({ alg: JWE_ALG, enc: JWE_ENC, cty: 'application/fhir+json', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .encrypt(await importJWK(jwk, JWE_ALG));
  return JSON.stringify({ payload: jwe });
}

/** A participant's registered encryption key: an RSA key with use "enc" in one of its clients' JWK sets. */
export async function encryptionKeyOf(participantId: string, clients: ClientStore): Promise<JWK | undefined> {
  for (const client of await clients.ofParticipant(participantId)) {
    const keys = client.jwks?.keys ?? (client.jwksUrl ? await fetchKeys(client.jwksUrl) : []);
    const key = keys.find((k) => k.kty === 'RSA' && (k.use === 'enc' || k.alg === JWE_ALG));
    if (key) return key;
  }
  return undefined;
}

async function fetchKeys(url: string): Promise<JWK[]> {
  const answer = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!answer.ok) throw new Error(`JWKS at ${url} answered HTTP ${answer.status}`);
  return ((await answer.json()) as { keys?: JWK[] }).keys ?? [];
}
