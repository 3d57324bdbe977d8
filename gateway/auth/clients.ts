/**
 * OAuth clients of participants: a client id, a hashed secret and the scopes it may ask for.
 */
import type { Database, Queryable } from '../store/database.js';
import type { JSONWebKeySet } from 'jose';
import { hashSecret, verifySecret } from './secrets.js';

interface ClientRow {
  client_id: string;
  participant_id: string;
  secret_hash: string | null;
  scopes: string;
  status: string;
  jwks: JSONWebKeySet | null;
  jwks_url: string | null;
}

/** A registered client, as the token endpoint needs it. */
export interface ClientRecord {
  readonly clientId: string;
  readonly participantId: string;
  readonly scopes: readonly string[];
  readonly active: boolean;
  /** Registered keys for private_key_jwt: a JWK set inline, or the URL of one. */
  readonly jwks?: JSONWebKeySet;
  readonly jwksUrl?: string;
  readonly hasSecret: boolean;
}

/** What registering a client takes: a secret (or its hash) and/or keys. */
export interface ClientRegistration {
  readonly clientId: string;
  readonly participantId: string;
  readonly scopes: readonly string[];
  readonly secret?: string;
  readonly secretHash?: string;
  readonly jwks?: JSONWebKeySet;
  readonly jwksUrl?: string;
}

/** A client whose secret was just verified. */
export interface AuthenticatedClient {
  readonly clientId: string;
  readonly participantId: string;
  readonly scopes: readonly string[];
}

/** Reads and registers OAuth clients. */
export class ClientStore {
  constructor(private readonly db: Database) {}

  /** The client when the id is known, active and the secret matches; otherwise undefined. */
  async authenticate(clientId: string, secret: string): Promise<AuthenticatedClient | undefined> {
    const { rows } = await this.db.query<ClientRow>('select * from oauth_clients where client_id = $1', [clientId]);
    const row = rows[0];
    if (!row?.secret_hash || row.status !== 'active' || !(await verifySecret(secret, row.secret_hash))) return undefined;
    return { clientId: row.client_id, participantId: row.participant_id, scopes: row.scopes.split(' ').filter(Boolean) };
  }

  /** The clients of a participant. */
  async ofParticipant(participantId: string): Promise<ClientRecord[]> {
    const { rows } = await this.db.query<ClientRow>('select * from oauth_clients where participant_id = $1 order by client_id', [participantId]);
    return rows.map(toClientRecord);
  }

  /** Disables a client of a participant; false when there is no such client. */
  async disable(participantId: string, clientId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ client_id: string }>(
      `update oauth_clients set status = 'disabled' where participant_id = $1 and client_id = $2 returning client_id`, [participantId, clientId]);
    return rows.length === 1;
  }

  /** The registered client, or undefined. */
  async find(clientId: string): Promise<ClientRecord | undefined> {
    const { rows } = await this.db.query<ClientRow>('select * from oauth_clients where client_id = $1', [clientId]);
    return rows[0] ? toClientRecord(rows[0]) : undefined;
  }

  /**
   * Records an assertion's jti until it expires; false when the client already used it (a replay).
   * Expired records are dropped on the way.
   */
  async useAssertion(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    await this.db.query('delete from used_assertions where expires_at < now()');
    const { rows } = await this.db.query<{ jti: string }>(
      'insert into used_assertions (client_id, jti, expires_at) values ($1, $2, $3) on conflict do nothing returning jti',
      [clientId, jti, expiresAt.toISOString()]);
    return rows.length === 1;
  }

  /**
   * Registers a client, or updates it. Give keys (jwks or jwksUrl, for private_key_jwt) and/or a secret
   * or its hash (seed files for production carry hashes, never secrets); an unchanged secret keeps its
   * stored hash.
   */
  async register(client: ClientRegistration, tx: Queryable = this.db): Promise<void> {
    const { rows } = await tx.query<ClientRow>('select * from oauth_clients where client_id = $1', [client.clientId]);
    const existing = rows[0];
    let hash = client.secretHash ?? null;
    if (!hash && client.secret) {
      hash = existing?.secret_hash && (await verifySecret(client.secret, existing.secret_hash)) ? existing.secret_hash : await hashSecret(client.secret);
    }
    if (!hash && !client.jwks && !client.jwksUrl) throw new Error(`client ${client.clientId}: keys (jwks or jwksUrl) or a secret are required`);
    await tx.query(
      `insert into oauth_clients (client_id, participant_id, secret_hash, scopes, jwks, jwks_url) values ($1, $2, $3, $4, $5::jsonb, $6)
       on conflict (client_id) do update set participant_id = excluded.participant_id, secret_hash = excluded.secret_hash,
         scopes = excluded.scopes, jwks = excluded.jwks, jwks_url = excluded.jwks_url, status = 'active'`,
      [client.clientId, client.participantId, hash, client.scopes.join(' '), client.jwks ? JSON.stringify(client.jwks) : null, client.jwksUrl ?? null],
    );
  }
}

function toClientRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id, participantId: row.participant_id, scopes: row.scopes.split(' ').filter(Boolean), active: row.status === 'active',
    jwks: row.jwks ?? undefined, jwksUrl: row.jwks_url ?? undefined, hasSecret: row.secret_hash !== null,
  };
}
