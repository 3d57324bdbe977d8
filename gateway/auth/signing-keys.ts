/**
 * The gateway's own asymmetric signing key (ES256, ECDSA on P-256 with SHA-256), used to sign what the
 * gateway sends out (callbacks) so a receiver can check it with the public key alone, fetched from
 * /.well-known/jwks.json. The private key lives in the database, created on the first start of a
 * deployment, so every process of the deployment signs with the same key.
 *
 * Rotation keeps two slots: the current key (signs) and the previous one (still published, so a
 * signature made just before a rotation keeps verifying) until the next rotation drops it. Both slots
 * are read from the database on every use, not cached per process: a rotation done by one process is
 * what every other process signs with and publishes from its very next call.
 */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Database, Queryable } from '../store/database.js';
import { deploymentSetting } from '../store/settings.js';

/** The JWS algorithm of every gateway signature. */
export const SIGNING_ALG = 'ES256';
/** gateway_settings keys of the two slots; the value is the private JWK as JSON text. */
export const CURRENT_KEY_SETTING = 'signing-key-es256';
export const PREVIOUS_KEY_SETTING = 'signing-key-es256-previous';

/** The key that signs now. */
export interface CurrentSigningKey {
  readonly kid: string;
  readonly alg: typeof SIGNING_ALG;
  readonly privateKey: CryptoKey;
}

/** A JWK Set holding public keys only (RFC 7517 §5). */
export interface PublicJwks {
  readonly keys: JWK[];
}

/** One stored key, parsed: its thumbprint kid, public JWK and imported private key. */
interface LoadedKey {
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly privateKey: CryptoKey;
}

/** A fresh P-256 private key as JWK JSON text (synchronous, as deploymentSetting's make() must be). */
function newPrivateJwk(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return JSON.stringify(privateKey.export({ format: 'jwk' }));
}

/** Parses a stored private JWK; the kid is its RFC 7638 thumbprint (computed over public members only). */
async function loadKey(text: string): Promise<LoadedKey> {
  const jwk = JSON.parse(text) as JWK;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) {
    throw new Error('stored signing key is not a P-256 private JWK');
  }
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  // Rebuilt member by member so the private part (d) can never leak into what is published.
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid, alg: SIGNING_ALG, use: 'sig' };
  const privateKey = (await importJWK(jwk, SIGNING_ALG)) as CryptoKey;
  return { kid, publicJwk, privateKey };
}

/** The gateway's signing keys, read from the deployment's database. */
export class SigningKeys {
  /** Parsed keys by stored text: parsing and importing happen once per key, not on every use. */
  private readonly parsed = new Map<string, Promise<LoadedKey>>();

  private constructor(private readonly db: Queryable) {}

  /** Opens the keys, creating the current one on the first start of the deployment. */
  static async open(db: Queryable): Promise<SigningKeys> {
    await deploymentSetting(db, CURRENT_KEY_SETTING, newPrivateJwk);
    return new SigningKeys(db);
  }

  /** The key to sign with now. */
  async current(): Promise<CurrentSigningKey> {
    const { current } = await this.slots();
    return { kid: current.kid, alg: SIGNING_ALG, privateKey: current.privateKey };
  }

  /** The public keys a receiver may see a signature from: the current key first, then the previous. */
  async publicJwks(): Promise<PublicJwks> {
    const { current, previous } = await this.slots();
    return { keys: previous ? [current.publicJwk, previous.publicJwk] : [current.publicJwk] };
  }

  private async slots(): Promise<{ current: LoadedKey; previous?: LoadedKey }> {
    const { rows } = await this.db.query<{ key: string; value: string }>(
      'select key, value from gateway_settings where key = any($1)', [[CURRENT_KEY_SETTING, PREVIOUS_KEY_SETTING]]);
    const text = (slot: string) => rows.find((r) => r.key === slot)?.value;
    const currentText = text(CURRENT_KEY_SETTING);
    if (!currentText) throw new Error('no gateway signing key: SigningKeys.open() creates it');
    const previousText = text(PREVIOUS_KEY_SETTING);
    // Keys no longer stored are forgotten, so the map holds at most the two slots' keys.
    for (const stored of this.parsed.keys()) if (stored !== currentText && stored !== previousText) this.parsed.delete(stored);
    return { current: await this.parse(currentText), previous: previousText ? await this.parse(previousText) : undefined };
  }

  private parse(text: string): Promise<LoadedKey> {
    let loaded = this.parsed.get(text);
    if (!loaded) {
      loaded = loadKey(text);
      this.parsed.set(text, loaded);
    }
    return loaded;
  }
}

/**
 * Rotates the gateway signing key: a new key becomes current and the current one becomes previous
 * (still published until the next rotation; the key before it is dropped). Returns the new kid.
 * The row lock makes concurrent rotations run one after the other instead of losing a key.
 */
export async function rotate(db: Database): Promise<string> {
  const next = newPrivateJwk();
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ value: string }>('select value from gateway_settings where key = $1 for update', [CURRENT_KEY_SETTING]);
    const old = rows[0]?.value;
    if (old !== undefined) {
      await tx.query(`insert into gateway_settings (key, value) values ($1, $2)
        on conflict (key) do update set value = excluded.value, created_at = now()`, [PREVIOUS_KEY_SETTING, old]);
    }
    await tx.query(`insert into gateway_settings (key, value) values ($1, $2)
      on conflict (key) do update set value = excluded.value, created_at = now()`, [CURRENT_KEY_SETTING, next]);
  });
  return (await loadKey(next)).kid;
}
