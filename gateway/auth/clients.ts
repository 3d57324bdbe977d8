/**
 * OAuth clients of participants: a client id, a hashed secret and the scopes it may ask for.
 */
import type { Database, Queryable } from '../store/database.js';
import { hashSecret, verifySecret } from './secrets.js';

interface ClientRow {
  client_id: string;
  participant_id: string;
  secret_hash: string;
  scopes: string;
  status: string;
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
    if (!row || row.status !== 'active' || !(await verifySecret(secret, row.secret_hash))) return undefined;
    return { clientId: row.client_id, participantId: row.participant_id, scopes: row.scopes.split(' ').filter(Boolean) };
  }

  /**
   * Registers a client, or updates it. Give the secret, or its hash (seed files for production carry
   * hashes, never secrets); an unchanged secret keeps its stored hash.
   */
  async register(
    client: { clientId: string; participantId: string; scopes: readonly string[]; secret?: string; secretHash?: string },
    tx: Queryable = this.db,
  ): Promise<void> {
    const { rows } = await tx.query<ClientRow>('select * from oauth_clients where client_id = $1', [client.clientId]);
    const existing = rows[0];
    let hash = client.secretHash;
    if (!hash && client.secret) {
      hash = existing && (await verifySecret(client.secret, existing.secret_hash)) ? existing.secret_hash : await hashSecret(client.secret);
    }
    if (!hash) throw new Error(`client ${client.clientId}: a secret or a secretHash is required`);
    await tx.query(
      `insert into oauth_clients (client_id, participant_id, secret_hash, scopes) values ($1, $2, $3, $4)
       on conflict (client_id) do update set participant_id = excluded.participant_id,
         secret_hash = excluded.secret_hash, scopes = excluded.scopes`,
      [client.clientId, client.participantId, hash, client.scopes.join(' ')],
    );
  }
}
