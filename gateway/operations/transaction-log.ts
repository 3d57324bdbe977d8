/**
 * The operators' view of traffic, read from the database: the transaction log (claims and eligibility
 * requests in one list, newest first) and each insurer's recent answer latency and error rate. Ids,
 * routing and statuses only: never patient data.
 */
import type { Queryable } from '../store/database.js';

export type TransactionKind = 'claim' | 'eligibility';

/** Filters of the transaction log; dates are ISO instants or days, identifier matches ids and business identifiers. */
export interface TransactionQuery {
  readonly kind?: TransactionKind;
  readonly provider?: string;
  readonly insurer?: string;
  readonly status?: string;
  readonly since?: string;
  readonly until?: string;
  readonly identifier?: string;
  readonly limit: number;
  readonly offset: number;
}

/** One line of the log. */
export interface Transaction {
  readonly kind: TransactionKind;
  readonly id: string;
  readonly provider: string;
  readonly insurer: string;
  readonly status: string;
  readonly identifier: string | null;
  readonly attempts: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface TransactionRow {
  kind: TransactionKind; id: string; provider_id: string; insurer_id: string; status: string; identifier: string | null;
  attempts: number | null; last_error: string | null; created_at: Date; updated_at: Date;
}

// Both sources as one relation; the planner pushes the filters into each branch. A follow-on claim of a
// coordination of benefits goes by its original's identifier (the provider's invoice number), so both
// payers' claims show, and are found, under it.
const LOG = `(
  select 'claim' as kind, id, provider_id, insurer_id, status,
    case when coordination_root is null then identifier_value
      else (select r.identifier_value from claims r where r.id = c.coordination_root) end as identifier,
    attempts, last_error, created_at, updated_at
  from claims c
  union all
  select 'eligibility', id, provider_id, insurer_id, status,
    coalesce(request::jsonb #>> '{entry,0,resource,identifier,0,value}', request::jsonb #>> '{identifier,0,value}'),
    null, null, created_at, coalesce(answered_at, created_at)
  from eligibility_requests
) as log`;

/** Recent traffic of one insurer. */
export interface InsurerTraffic {
  readonly answerSeconds: { readonly p50: number | null; readonly p99: number | null };
  readonly answers: number;
  readonly failedAttempts: number;
  /** Failed delivery attempts over attempts (answers plus failures); null without traffic. */
  readonly errorRate: number | null;
  readonly deadLetters: number;
  readonly stuck: number;
}

/** Reads the log and the traffic figures. */
export class TransactionLog {
  /** db: the primary, or a read replica (DATABASE_READ_URL): these reads tolerate its lag. */
  constructor(private readonly db: Queryable) {}

  /** Transactions matching the query, newest first, with the total. */
  async search(query: TransactionQuery): Promise<{ total: number; transactions: Transaction[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(clause(params.length));
    };
    if (query.kind) add((n) => `kind = $${n}`, query.kind);
    if (query.provider) add((n) => `provider_id = $${n}`, query.provider);
    if (query.insurer) add((n) => `insurer_id = $${n}`, query.insurer);
    if (query.status) add((n) => `status = $${n}`, query.status);
    if (query.since) add((n) => `created_at >= $${n}::timestamptz`, query.since);
    if (query.until) add((n) => `created_at <= $${n}::timestamptz`, query.until);
    if (query.identifier) add((n) => `(id::text = $${n} or identifier = $${n})`, query.identifier);
    const clause = where.length ? `where ${where.join(' and ')}` : '';
    const [count, page] = await Promise.all([
      this.db.query<{ n: number }>(`select count(*)::int as n from ${LOG} ${clause}`, params),
      this.db.query<TransactionRow>(`select * from ${LOG} ${clause} order by created_at desc, id desc
        limit ${Math.trunc(query.limit)} offset ${Math.trunc(query.offset)}`, params),
    ]);
    return {
      total: count.rows[0]!.n,
      transactions: page.rows.map((r) => ({
        kind: r.kind, id: r.id, provider: r.provider_id, insurer: r.insurer_id, status: r.status, identifier: r.identifier,
        attempts: r.attempts, lastError: r.last_error, createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
      })),
    };
  }

  /** Per insurer over the last windowMinutes: answer latency quantiles, answers, failed attempts; and current dead letters and stuck claims. */
  async traffic(windowMinutes: number): Promise<Map<string, InsurerTraffic>> {
    const window = `${Math.trunc(windowMinutes)} minutes`;
    const [answers, failures, backlog] = await Promise.all([
      this.db.query<{ insurer_id: string; n: number; p50: number; p99: number }>(
        `select c.insurer_id, count(*)::int as n,
           percentile_cont(0.5) within group (order by extract(epoch from r.created_at - c.created_at))::float8 as p50,
           percentile_cont(0.99) within group (order by extract(epoch from r.created_at - c.created_at))::float8 as p99
         from claim_responses r join claims c on c.id = r.claim_id
         where r.source = 'insurer' and r.created_at > now() - $1::interval group by c.insurer_id`, [window]),
      this.db.query<{ insurer_id: string; n: number }>(
        `select c.insurer_id, count(*)::int as n from claim_events e join claims c on c.id = e.claim_id
         where e.status in ('delivery-retry', 'failed') and e.at > now() - $1::interval group by c.insurer_id`, [window]),
      this.db.query<{ insurer_id: string; failed: number; stuck: number }>(
        `select insurer_id, count(*) filter (where status = 'failed')::int as failed,
           count(*) filter (where stuck_since is not null and status in ('accepted', 'queued', 'pended'))::int as stuck
         from claims where status = 'failed' or stuck_since is not null group by insurer_id`),
    ]);
    const ids = new Set([...answers.rows, ...failures.rows, ...backlog.rows].map((r) => r.insurer_id));
    const result = new Map<string, InsurerTraffic>();
    for (const id of ids) {
      const answered = answers.rows.find((r) => r.insurer_id === id);
      const failed = failures.rows.find((r) => r.insurer_id === id)?.n ?? 0;
      const waiting = backlog.rows.find((r) => r.insurer_id === id);
      const attempts = (answered?.n ?? 0) + failed;
      result.set(id, {
        answerSeconds: { p50: answered ? Number(answered.p50) : null, p99: answered ? Number(answered.p99) : null },
        answers: answered?.n ?? 0, failedAttempts: failed, errorRate: attempts > 0 ? failed / attempts : null,
        deadLetters: waiting?.failed ?? 0, stuck: waiting?.stuck ?? 0,
      });
    }
    return result;
  }
}
