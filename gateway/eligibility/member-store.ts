/**
 * The synced copy of insurers' member registries in PostgreSQL: one row per coverage, written by roster
 * imports and incremental syncs, read by eligibility lookups. Rows are never deleted: a coverage missing
 * from a full re-import is ended. Writers take a transaction (Queryable) so that an import or a sync
 * page becomes visible to lookups all at once or not at all.
 */
import type { Bilingual } from '../fhir/outcomes.js';
import type { Database, Queryable } from '../store/database.js';
import type { Language } from '../validation/rules.js';

export type CoverageStatus = 'active' | 'cancelled' | 'ended';

/** A coverage as imported or synced (dates YYYY-MM-DD). */
export interface RegistryCoverage {
  readonly coverageId: string;
  readonly memberSystem: string;
  readonly memberId: string;
  readonly subscriberId?: string;
  readonly relationship?: string;
  readonly plan?: string;
  readonly status: CoverageStatus;
  readonly periodStart?: string;
  readonly periodEnd?: string;
}

/** A stored coverage, with when it last changed. */
export interface StoredCoverage extends RegistryCoverage {
  readonly insurerId: string;
  readonly source: 'import' | 'sync';
  readonly endedAt?: Date;
  readonly updatedAt: Date;
}

interface CoverageRow {
  insurer_id: string; coverage_id: string; member_system: string; member_id: string; subscriber_id: string | null;
  relationship: string | null; plan: string | null; status: CoverageStatus; period_start: string | null; period_end: string | null;
  source: 'import' | 'sync'; ended_at: Date | null; updated_at: Date;
}

/** One roster import, as operators see it. */
export interface RegistryImport {
  readonly id: number;
  readonly mode: string;
  readonly format: string;
  readonly source: string | null;
  readonly status: string;
  readonly rowsRead: number;
  readonly imported: number;
  readonly invalid: number;
  readonly ended: number;
  /** Why it failed, in both languages; an import logged before migration 022 has its English text in both. */
  readonly error: Bilingual | null;
  /** The first rows it skipped, and why (none for imports logged before migration 022). */
  readonly rowErrors: readonly RowError[];
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

/** A row a roster import skipped: its line, and why in both languages (never naming a member). */
export interface RowError {
  readonly line: number;
  readonly message: Bilingual;
}

/**
 * A message as registry_imports keeps it (jsonb): {en, fr}; or a plain string, the English text of an
 * import logged before both languages were kept, which then stands for both.
 */
export function storedMessage(value: unknown): Bilingual | null {
  if (typeof value === 'string') return { en: value, fr: value };
  if (typeof value !== 'object' || value === null) return null;
  const { en, fr } = value as Record<string, unknown>;
  if (typeof en !== 'string') return null;
  return { en, fr: typeof fr === 'string' ? fr : en };
}

function storedRowErrors(value: unknown): RowError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    const { line, message } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const text = storedMessage(message);
    return typeof line === 'number' && text ? [{ line, message: text }] : [];
  });
}

/** An import as a person reads it, in one language: its error and the messages of its skipped rows as text. */
export function importInLanguage(i: RegistryImport, language: Language) {
  return { ...i, error: i.error ? i.error[language] : null, rowErrors: i.rowErrors.map((e) => ({ line: e.line, message: e.message[language] })) };
}

/** Where the incremental sync of an insurer stands. */
export interface SyncState {
  readonly cursor?: Date;
  readonly lastRunAt?: Date;
  readonly lastPulled: number;
  readonly lastError?: string;
}

/** Advisory lock class of registry writers (with the insurer's hash). */
const REGISTRY_LOCK = 4_202;

/** Reads and writes the synced registries. */
export class MemberStore {
  constructor(private readonly db: Database) {}

  /** Every coverage of a member of this insurer (any status), most recent period first. */
  async find(insurerId: string, memberId: string): Promise<StoredCoverage[]> {
    const { rows } = await this.db.query<CoverageRow>(
      `select insurer_id, coverage_id, member_system, member_id, subscriber_id, relationship, plan, status,
              to_char(period_start, 'YYYY-MM-DD') as period_start, to_char(period_end, 'YYYY-MM-DD') as period_end, source, ended_at, updated_at
       from registry_coverages where insurer_id = $1 and member_id = $2
       order by registry_coverages.period_start desc nulls last, coverage_id`,
      [insurerId, memberId], { name: 'registry-coverages-of-member' },
    );
    return rows.map(fromRow);
  }

  /** How many coverages of this insurer the copy holds, by status. */
  async counts(insurerId: string): Promise<Record<CoverageStatus, number>> {
    const { rows } = await this.db.query<{ status: CoverageStatus; n: string }>(
      'select status, count(*) as n from registry_coverages where insurer_id = $1 group by status', [insurerId]);
    const counts: Record<CoverageStatus, number> = { active: 0, cancelled: 0, ended: 0 };
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  /**
   * Inserts or updates coverages (by insurer and coverage id) in one statement. A coverage listed again
   * is no longer ended. importId marks the rows a full import saw, for endMissing.
   */
  static async upsert(tx: Queryable, insurerId: string, coverages: readonly RegistryCoverage[], source: 'import' | 'sync', importId?: number): Promise<void> {
    if (coverages.length === 0) return;
    const column = <K extends keyof RegistryCoverage>(key: K) => coverages.map((c) => c[key] ?? null);
    await tx.query(
      `insert into registry_coverages (insurer_id, coverage_id, member_system, member_id, subscriber_id, relationship, plan, status,
                                       period_start, period_end, source, import_id, ended_at, updated_at)
       select $1, c.coverage_id, c.member_system, c.member_id, c.subscriber_id, c.relationship, c.plan, c.status,
              c.period_start::date, c.period_end::date, $11, $12, null, now()
       from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
         as c(coverage_id, member_system, member_id, subscriber_id, relationship, plan, status, period_start, period_end)
       on conflict (insurer_id, coverage_id) do update set member_system = excluded.member_system, member_id = excluded.member_id,
         subscriber_id = excluded.subscriber_id, relationship = excluded.relationship, plan = excluded.plan, status = excluded.status,
         period_start = excluded.period_start, period_end = excluded.period_end, source = excluded.source,
         import_id = coalesce(excluded.import_id, registry_coverages.import_id), ended_at = null, updated_at = now()`,
      [insurerId, column('coverageId'), column('memberSystem'), column('memberId'), column('subscriberId'), column('relationship'),
        column('plan'), column('status'), column('periodStart'), column('periodEnd'), source, importId ?? null],
    );
  }

  /**
   * Takes the insurer's registry lock until the transaction ends: one writer at a time (an import, or a
   * page of the incremental sync), so a sync never slips rows into a full import that would end them.
   * With wait false, returns false at once when another writer holds it.
   */
  static async lock(tx: Queryable, insurerId: string, wait = true): Promise<boolean> {
    if (wait) {
      await tx.query('select pg_advisory_xact_lock($1, hashtext($2))', [REGISTRY_LOCK, insurerId]);
      return true;
    }
    const { rows } = await tx.query<{ locked: boolean }>('select pg_try_advisory_xact_lock($1, hashtext($2)) as locked', [REGISTRY_LOCK, insurerId]);
    return rows[0]?.locked === true;
  }

  /** Marks coverages as listed by a full import without changing them (their row in the roster was invalid). */
  static async markListed(tx: Queryable, insurerId: string, coverageIds: readonly string[], importId: number): Promise<void> {
    if (coverageIds.length === 0) return;
    await tx.query('update registry_coverages set import_id = $3 where insurer_id = $1 and coverage_id = any($2::text[]) and import_id is distinct from $3',
      [insurerId, coverageIds, importId]);
  }

  /** How many coverages endMissing would end, and how many are not ended now. */
  static async wouldEnd(tx: Queryable, insurerId: string, importId: number): Promise<{ missing: number; current: number }> {
    const { rows } = await tx.query<{ missing: string; current: string }>(
      `select count(*) filter (where import_id is distinct from $2) as missing, count(*) as current
       from registry_coverages where insurer_id = $1 and status <> 'ended'`, [insurerId, importId]);
    return { missing: Number(rows[0]?.missing ?? 0), current: Number(rows[0]?.current ?? 0) };
  }

  /**
   * Ends the coverages of this insurer that the full import importId did not list: status "ended", the
   * period cut at the eve of the import (a period already over keeps its end). Returns how many.
   */
  static async endMissing(tx: Queryable, insurerId: string, importId: number): Promise<number> {
    const { rows } = await tx.query<{ n: string }>(
      `with ended as (
         update registry_coverages set status = 'ended', ended_at = now(), updated_at = now(),
           period_end = least(coalesce(period_end, current_date - 1), current_date - 1)
         where insurer_id = $1 and status <> 'ended' and import_id is distinct from $2
         returning 1)
       select count(*) as n from ended`,
      [insurerId, importId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The latest imports of this insurer's roster, most recent first. */
  async recentImports(insurerId: string, limit = 10): Promise<RegistryImport[]> {
    const { rows } = await this.db.query<{
      id: string; mode: string; format: string; source_name: string | null; status: string; rows_read: string; imported: string; invalid: string;
      ended: string; error: unknown; row_errors: unknown; started_at: Date; finished_at: Date | null;
    }>('select * from registry_imports where insurer_id = $1 order by id desc limit $2', [insurerId, limit]);
    return rows.map((r) => ({
      id: Number(r.id), mode: r.mode, format: r.format, source: r.source_name, status: r.status, rowsRead: Number(r.rows_read), imported: Number(r.imported),
      invalid: Number(r.invalid), ended: Number(r.ended), error: storedMessage(r.error), rowErrors: storedRowErrors(r.row_errors),
      startedAt: new Date(r.started_at).toISOString(), finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    }));
  }

  /** Where the incremental sync of this insurer stands. */
  async syncState(insurerId: string): Promise<SyncState> {
    const { rows } = await this.db.query<{ cursor: Date | null; last_run_at: Date | null; last_pulled: number; last_error: string | null }>(
      'select cursor, last_run_at, last_pulled, last_error from registry_sync_state where insurer_id = $1', [insurerId]);
    const row = rows[0];
    return row ? { cursor: row.cursor ?? undefined, lastRunAt: row.last_run_at ?? undefined, lastPulled: row.last_pulled, lastError: row.last_error ?? undefined } : { lastPulled: 0 };
  }

  /** Records a sync run; the cursor only moves forward. */
  static async saveSyncState(tx: Queryable, insurerId: string, run: { cursor?: Date; pulled: number; error?: string }): Promise<void> {
    await tx.query(
      `insert into registry_sync_state (insurer_id, cursor, last_run_at, last_pulled, last_error) values ($1, $2, now(), $3, $4)
       on conflict (insurer_id) do update set cursor = greatest(registry_sync_state.cursor, excluded.cursor),
         last_run_at = now(), last_pulled = excluded.last_pulled, last_error = excluded.last_error`,
      [insurerId, run.cursor ?? null, run.pulled, run.error ?? null],
    );
  }
}

function fromRow(row: CoverageRow): StoredCoverage {
  return {
    insurerId: row.insurer_id, coverageId: row.coverage_id, memberSystem: row.member_system, memberId: row.member_id,
    subscriberId: row.subscriber_id ?? undefined, relationship: row.relationship ?? undefined, plan: row.plan ?? undefined,
    status: row.status, periodStart: row.period_start ?? undefined, periodEnd: row.period_end ?? undefined,
    source: row.source, endedAt: row.ended_at ?? undefined, updatedAt: new Date(row.updated_at),
  };
}
