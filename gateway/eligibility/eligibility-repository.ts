/**
 * Eligibility requests and their answers in the system of record: those answered at once (for the
 * transaction log) and those queued past the answer budget, whose check job and later answer, with its
 * push to the provider, are written in the same transaction as the state they follow (queue/outbox.ts).
 */
import type { Bundle, CoverageEligibilityResponse } from '@medplum/fhirtypes';
import type { Database } from '../store/database.js';
import { writeOutbox, type OutboxMessage } from '../queue/outbox.js';

export type EligibilityStatus = 'queued' | 'complete' | 'error';

/** A stored eligibility request. */
export interface EligibilityRecord {
  readonly id: string;
  readonly providerId: string;
  readonly insurerId: string;
  readonly mode: 'live' | 'synced';
  readonly status: EligibilityStatus;
  readonly request: Bundle;
  readonly queuedResponse?: CoverageEligibilityResponse & { id: string };
  readonly response?: CoverageEligibilityResponse & { id: string };
  readonly createdAt: Date;
  readonly answeredAt?: Date;
}

interface Row {
  id: string; provider_id: string; insurer_id: string; mode: 'live' | 'synced'; status: EligibilityStatus; request: Bundle;
  queued_response: (CoverageEligibilityResponse & { id: string }) | null; response: (CoverageEligibilityResponse & { id: string }) | null;
  created_at: Date; answered_at: Date | null;
}

type Response = CoverageEligibilityResponse & { id: string };

/** The status a final answer gives its request. */
export function statusOf(response: CoverageEligibilityResponse): EligibilityStatus {
  return response.outcome === 'error' ? 'error' : 'complete';
}

/** Reads and writes eligibility requests. */
export class EligibilityRepository {
  constructor(private readonly db: Database) {}

  /** Stores a request answered at once. */
  async insertAnswered(record: { id: string; providerId: string; insurerId: string; mode: 'live' | 'synced'; request: Bundle; response: Response }): Promise<void> {
    await this.db.query(
      `insert into eligibility_requests (id, provider_id, insurer_id, mode, status, request, response_id, response, answered_at)
       values ($1, $2, $3, $4, $5, $6::json, $7, $8::json, now())`,
      [record.id, record.providerId, record.insurerId, record.mode, statusOf(record.response), JSON.stringify(record.request), record.response.id, JSON.stringify(record.response)],
    );
  }

  /** Stores a request answered "queued", with the job that will check it if its answer does not come first. */
  async insertQueued(record: { id: string; providerId: string; insurerId: string; request: Bundle; queuedResponse: Response; jobs: readonly OutboxMessage[] }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `insert into eligibility_requests (id, provider_id, insurer_id, mode, status, request, queued_response_id, queued_response)
         values ($1, $2, $3, 'live', 'queued', $4::json, $5, $6::json)`,
        [record.id, record.providerId, record.insurerId, JSON.stringify(record.request), record.queuedResponse.id, JSON.stringify(record.queuedResponse)],
      );
      await writeOutbox(tx, record.jobs);
    });
  }

  /**
   * Records the final answer of a queued request, with the jobs that push it. False when the request
   * was already answered (the in-flight call and the check job raced): the first answer stands.
   */
  async answer(id: string, response: Response, jobs: readonly OutboxMessage[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `update eligibility_requests set status = $2, response_id = $3, response = $4::json, answered_at = now()
         where id = $1 and status = 'queued' returning id`,
        [id, statusOf(response), response.id, JSON.stringify(response)],
      );
      if (rows.length === 0) return false;
      await writeOutbox(tx, jobs);
      return true;
    });
  }

  /** The request with this id. */
  async get(id: string): Promise<EligibilityRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.db.query<Row>('select * from eligibility_requests where id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** The request one of whose answers (queued or final) has this id. */
  async byResponseId(responseId: string): Promise<EligibilityRecord | undefined> {
    if (!isUuid(responseId)) return undefined;
    const { rows } = await this.db.query<Row>('select * from eligibility_requests where response_id = $1 or queued_response_id = $1', [responseId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /**
   * Deletes answered requests older than retentionDays, up to limit (the retention job): an eligibility
   * answer is a moment's truth, and the request holds patient data. Queued ones are left to their job.
   */
  async purgeExpired(retentionDays: number, limit: number): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `with expired as (
         delete from eligibility_requests where id in (
           select id from eligibility_requests where status <> 'queued' and created_at < now() - ($1::int * interval '1 day') limit $2)
         returning 1)
       select count(*) as n from expired`, [retentionDays, limit]);
    return Number(rows[0]?.n ?? 0);
  }
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

function fromRow(row: Row): EligibilityRecord {
  return {
    id: row.id, providerId: row.provider_id, insurerId: row.insurer_id, mode: row.mode, status: row.status, request: row.request,
    queuedResponse: row.queued_response ?? undefined, response: row.response ?? undefined,
    createdAt: new Date(row.created_at), answeredAt: row.answered_at ? new Date(row.answered_at) : undefined,
  };
}
