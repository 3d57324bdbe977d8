/**
 * The rest of a claim's conversation in the system of record: information requests and their answers,
 * payment reconciliations and notices (migration 019). Each is stored with its sender, its recipient and
 * the claims it is about, in one transaction with the claims' history and the jobs that push it, so
 * nothing accepted is lost (queue/outbox.ts).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Database, Queryable } from '../store/database.js';
import { writeOutbox, type OutboxMessage } from '../queue/outbox.js';
import { isUuid } from '../claims/claim-repository.js';
import { recordStateChanges } from '../audit/audit-log.js';

/** The kinds of exchange the gateway carries besides claims and their answers. */
export const EXCHANGE_TYPES = ['CommunicationRequest', 'Communication', 'PaymentReconciliation', 'PaymentNotice'] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];

export function isExchangeType(value: unknown): value is ExchangeType {
  return typeof value === 'string' && (EXCHANGE_TYPES as readonly string[]).includes(value);
}

/** A stored exchange. */
export interface ExchangeRecord {
  readonly id: string;
  readonly resourceType: ExchangeType;
  readonly senderId: string;
  readonly recipientId: string;
  /** The resource as the gateway serves it; null once purged after the retention period. */
  readonly resource: (Resource & { id: string }) | null;
  /** The gateway ids of the claims it is about. */
  readonly claimIds: readonly string[];
  readonly createdAt: Date;
  readonly acknowledgedAt?: Date;
  readonly deliveredAt?: Date;
  readonly lastError?: string;
}

/** What receiving an exchange stores. */
export interface NewExchange {
  readonly id: string;
  readonly resourceType: ExchangeType;
  readonly senderId: string;
  readonly recipientId: string;
  readonly contentHash: string;
  readonly resource: Resource & { id: string };
  readonly claimIds: readonly string[];
  /** The event written in each claim's history (information-requested, payment-notified, ...). */
  readonly event: string;
}

interface ExchangeRow {
  id: string; resource_type: ExchangeType; sender_id: string; recipient_id: string; resource: (Resource & { id: string }) | null;
  claim_ids: string[] | null; created_at: Date; acknowledged_at: Date | null; delivered_at: Date | null; last_error: string | null;
}

const SELECT = `select e.*, array(select claim_id::text from claim_exchange_claims l where l.exchange_id = e.id order by claim_id) as claim_ids
  from claim_exchanges e`;

export class ExchangeRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores an exchange, its claims' history entries and its push jobs, atomically. The same resource sent
   * twice by its sender is stored once: the second call returns the first record, created false.
   */
  async record(exchange: NewExchange, jobs: (id: string) => readonly OutboxMessage[]): Promise<{ record: ExchangeRecord; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `insert into claim_exchanges (id, resource_type, sender_id, recipient_id, content_hash, resource) values ($1, $2, $3, $4, $5, $6::json)
         on conflict (sender_id, resource_type, content_hash) do nothing returning id`,
        [exchange.id, exchange.resourceType, exchange.senderId, exchange.recipientId, exchange.contentHash, JSON.stringify(exchange.resource)]);
      if (rows.length === 0) {
        const existing = await tx.query<ExchangeRow>(`${SELECT} where e.sender_id = $1 and e.resource_type = $2 and e.content_hash = $3`,
          [exchange.senderId, exchange.resourceType, exchange.contentHash]);
        return { record: toRecord(existing.rows[0]!), created: false };
      }
      await tx.query('insert into claim_exchange_claims (exchange_id, claim_id) select $1, unnest($2::uuid[])', [exchange.id, exchange.claimIds]);
      await recordStateChanges(tx, exchange.claimIds.map((claimId) => ({ claimId, status: exchange.event, detail: { [exchange.resourceType]: exchange.id } })));
      await writeOutbox(tx, jobs(exchange.id));
      const stored = await tx.query<ExchangeRow>(`${SELECT} where e.id = $1`, [exchange.id]);
      return { record: toRecord(stored.rows[0]!), created: true };
    });
  }

  /** The exchange with this id, or undefined. */
  async get(id: string): Promise<ExchangeRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.db.query<ExchangeRow>(`${SELECT} where e.id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** The exchanges of a type about a claim, oldest first. */
  async aboutClaim(claimId: string, resourceType: ExchangeType): Promise<ExchangeRecord[]> {
    if (!isUuid(claimId)) return [];
    const { rows } = await this.db.query<ExchangeRow>(
      `${SELECT} where e.resource_type = $2 and e.id in (select exchange_id from claim_exchange_claims where claim_id = $1) order by e.created_at, e.id`,
      [claimId, resourceType]);
    return rows.map(toRecord);
  }

  /** Records a successful push to the recipient. */
  async markDelivered(id: string): Promise<void> {
    await this.db.query('update claim_exchanges set delivered_at = now(), last_error = null where id = $1', [id]);
  }

  /** Records a failed push (statuses and ids only: never the resource). */
  async markFailed(id: string, error: string): Promise<void> {
    await this.db.query('update claim_exchanges set last_error = $2 where id = $1', [id, error.slice(0, 500)]);
  }

  /** Appends to the history of each claim of an exchange (pushes and their failures), atomically. */
  async addClaimEvents(exchange: ExchangeRecord, status: string, detail: Record<string, unknown>): Promise<void> {
    await recordStateChanges(this.db, exchange.claimIds.map((claimId) => ({ claimId, status, detail: { [exchange.resourceType]: exchange.id, ...detail } })));
  }

  /**
   * Purges the resources of exchanges older than retentionDays whose claims are all purged (the claims'
   * own retention decides); at most limit a call. Rows, links and timestamps stay.
   */
  async purgeExpired(retentionDays: number, limit: number): Promise<number> {
    const { rows } = await this.db.query<{ id: string }>(
      `update claim_exchanges set resource = null, purged_at = now() where id in (
         select e.id from claim_exchanges e where e.purged_at is null and e.created_at < now() - (${Math.trunc(retentionDays)} * interval '1 day')
           and not exists (select 1 from claim_exchange_claims l join claims c on c.id = l.claim_id where l.exchange_id = e.id and c.purged_at is null)
         order by e.created_at limit ${Math.trunc(limit)} for update skip locked)
       returning id`);
    return rows.length;
  }
}

/** Runs inside a caller's transaction: acknowledges exchanges addressed to a recipient; returns the ids marked now. */
export async function acknowledgeExchanges(tx: Queryable, recipientId: string, ids: readonly string[]): Promise<string[]> {
  const uuids = ids.filter(isUuid);
  if (uuids.length === 0) return [];
  const { rows } = await tx.query<{ id: string }>(
    `update claim_exchanges set acknowledged_at = now() where recipient_id = $1 and id = any($2::uuid[]) and acknowledged_at is null returning id`,
    [recipientId, uuids]);
  return rows.map((r) => r.id);
}

function toRecord(row: ExchangeRow): ExchangeRecord {
  return {
    id: row.id,
    resourceType: row.resource_type,
    senderId: row.sender_id,
    recipientId: row.recipient_id,
    resource: row.resource,
    claimIds: row.claim_ids ?? [],
    createdAt: row.created_at,
    acknowledgedAt: row.acknowledged_at ?? undefined,
    deliveredAt: row.delivered_at ?? undefined,
    lastError: row.last_error ?? undefined,
  };
}
