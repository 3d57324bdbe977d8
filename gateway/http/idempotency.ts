/**
 * Idempotency-Key support for POSTs: per participant, the first request with a key runs and its answer is
 * stored; the same key with the same body replays that answer, with another body gets 422, and while the
 * first is still running gets 409. Answers of 5xx are not stored, so the client may retry. A key left
 * in flight by a process that died is taken over after a minute. Keys are claimed, and answers stored,
 * together with those of concurrent requests (group commit: store/coalescer.ts).
 */
import { createHash } from 'node:crypto';
import type { Database } from '../store/database.js';
import { gatewayError } from '../fhir/outcomes.js';

const STALE_IN_FLIGHT_SECONDS = 60;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/** A stored answer. */
export interface StoredAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** An answer to store under a participant's key. */
interface KeyedAnswer {
  readonly participantId: string;
  readonly key: string;
  readonly answer: StoredAnswer;
}

/** A key a request asks to run under. */
interface KeyClaim {
  readonly participantId: string;
  readonly key: string;
  readonly requestHash: string;
}

/** Claims, completes and releases idempotency keys. */
export class IdempotencyStore {
  /** Keys of concurrent requests are claimed together, in one statement: true for each key claimed. */
  private readonly claim: (key: KeyClaim) => Promise<boolean>;
  /** Answers of concurrent requests are stored together, in one statement (group commit). */
  private readonly store: (answer: KeyedAnswer) => Promise<void>;

  constructor(private readonly db: Database) {
    this.claim = db.batched(async (claims: readonly KeyClaim[]) => {
      // A key given twice in one batch is claimed by its first request; the others find it in flight
      // (409), as they would one after the other. ON CONFLICT could not touch one row twice anyway.
      const id = (participantId: string, key: string) => `${participantId}\u0000${key}`;
      const first = new Map<string, KeyClaim>();
      for (const c of claims) if (!first.has(id(c.participantId, c.key))) first.set(id(c.participantId, c.key), c);
      const { rows } = await this.db.query<{ participant_id: string; key: string }>(
        `insert into idempotency_keys (participant_id, key, request_hash, state)
           select c.participant_id, c.key, c.request_hash, 'in_flight' from json_to_recordset($1::json) as c(participant_id text, key text, request_hash text)
         on conflict (participant_id, key) do update set request_hash = excluded.request_hash, updated_at = now()
           where idempotency_keys.state = 'in_flight'
             and idempotency_keys.updated_at < now() - ($2::int * interval '1 second')
         returning participant_id, key`,
        [JSON.stringify([...first.values()].map((c) => ({ participant_id: c.participantId, key: c.key, request_hash: c.requestHash }))), STALE_IN_FLIGHT_SECONDS],
        { name: 'idempotency-begin' });
      const claimed = new Set(rows.map((r) => id(r.participant_id, r.key)));
      return claims.map((c) => first.get(id(c.participantId, c.key)) === c && claimed.has(id(c.participantId, c.key)));
    });
    this.store = db.batched(async (answers: readonly KeyedAnswer[]) => {
      await this.db.query(
        `update idempotency_keys k set state = 'done', response_status = a.status, response_headers = a.headers,
           response_body = a.body, updated_at = now()
         from json_to_recordset($1::json) as a(participant_id text, key text, status int, headers jsonb, body json)
         where k.participant_id = a.participant_id and k.key = a.key`,
        [JSON.stringify(answers.map((a) => ({ participant_id: a.participantId, key: a.key, status: a.answer.status, headers: a.answer.headers, body: a.answer.body })))],
        { name: 'idempotency-complete' });
    });
  }

  /** Validates a header value; throws 400 when it cannot be a key. */
  static checkKey(key: string): void {
    if (!KEY_FORMAT.test(key)) {
      throw gatewayError('idempotency-key-invalid', { en: 'Idempotency-Key must be 1 to 255 visible ASCII characters', fr: "L'en-tête Idempotency-Key doit compter de 1 à 255 caractères ASCII visibles" });
    }
  }

  /** The hash that identifies a request body. */
  static hashBody(body: Buffer | string): string {
    return createHash('sha256').update(body).digest('hex');
  }

  /** Starts a request under a key: undefined to go ahead, or the stored answer to replay; throws 409/422. */
  async begin(participantId: string, key: string, requestHash: string): Promise<StoredAnswer | undefined> {
    // Claimed: a new key, or one left in flight by a process that died. Otherwise the key's row says why.
    if (await this.claim({ participantId, key, requestHash })) return undefined;
    const existing = await this.db.query<{ request_hash: string; state: string; response_status: number; response_headers: Record<string, string>; response_body: unknown }>(
      'select * from idempotency_keys where participant_id = $1 and key = $2', [participantId, key]);
    const row = existing.rows[0];
    if (!row) return this.begin(participantId, key, requestHash); // released in between: try again
    if (row.request_hash !== requestHash) {
      throw gatewayError('idempotency-mismatch', { en: 'This Idempotency-Key was already used with a different request body', fr: 'Cette clé Idempotency-Key a déjà servi pour une requête au contenu différent' });
    }
    if (row.state === 'in_flight') {
      throw gatewayError('idempotency-in-flight', { en: 'A request with this Idempotency-Key is still being processed; retry later', fr: 'Une requête portant cette clé Idempotency-Key est encore en cours de traitement ; réessayez plus tard' });
    }
    return { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body };
  }

  /** Stores the answer to replay. */
  complete(participantId: string, key: string, answer: StoredAnswer): Promise<void> {
    return this.store({ participantId, key, answer });
  }

  /** Forgets keys older than ttlHours (their answers were kept for retries, not for ever). Returns how many. */
  async expire(ttlHours: number): Promise<number> {
    const { rows } = await this.db.query<{ key: string }>(
      `delete from idempotency_keys where created_at < now() - ($1::int * interval '1 hour') returning key`, [Math.trunc(ttlHours)]);
    return rows.length;
  }

  /** Forgets a key whose request failed on the server side, so a retry runs again. */
  async release(participantId: string, key: string): Promise<void> {
    await this.db.query(`delete from idempotency_keys where participant_id = $1 and key = $2 and state = 'in_flight'`, [participantId, key]);
  }
}
