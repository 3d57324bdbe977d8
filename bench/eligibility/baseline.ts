/**
 * The import's baseline: the same members written by a bare batched multi-row INSERT ... VALUES into a
 * scratch copy of registry_coverages (same columns, checks, primary key and index), with no file, no
 * parsing, no validation and no import bookkeeping: what PostgreSQL costs on its own. With upsert, the
 * same statement with ON CONFLICT DO UPDATE, the baseline of a re-import.
 */
import type { Database } from '../../gateway/store/database.js';
import { benchCoverage } from './roster-file.js';

/** 9 parameters a row: 5,000 rows stay under PostgreSQL's 65,535 parameters per statement. */
const BASELINE_BATCH = 5000;

/** The re-import's baseline: every column replaced, as the import's upsert does. */
const ON_CONFLICT = ` on conflict (insurer_id, coverage_id) do update set member_system = excluded.member_system, member_id = excluded.member_id,
  subscriber_id = excluded.subscriber_id, relationship = excluded.relationship, plan = excluded.plan, status = excluded.status,
  period_start = excluded.period_start, period_end = excluded.period_end, import_id = excluded.import_id, updated_at = now()`;

/** Creates the scratch table (empty) like registry_coverages. */
export async function createScratchTable(db: Database): Promise<void> {
  await db.exec('drop table if exists bench_scratch_coverages; create table bench_scratch_coverages (like registry_coverages including all)');
}

/**
 * Inserts members 0..count-1 in one transaction, a batch per statement, the next batch built while the
 * previous one is written (as the import does); returns the wall time in ms.
 */
export async function bareInsert(db: Database, insurerId: string, count: number, options: { upsert?: boolean } = {}): Promise<number> {
  const started = performance.now();
  await db.transaction(async (tx) => {
    let inFlight: Promise<unknown> = Promise.resolve();
    for (let from = 0; from < count; from += BASELINE_BATCH) {
      const { sql, params } = statement(insurerId, from, Math.min(BASELINE_BATCH, count - from), options.upsert === true);
      await inFlight;
      inFlight = tx.query(sql, params);
    }
    await inFlight;
  });
  return performance.now() - started;
}

function statement(insurerId: string, from: number, size: number, upsert: boolean): { sql: string; params: unknown[] } {
  const params: unknown[] = [insurerId];
  const tuples: string[] = [];
  for (let i = from; i < from + size; i++) {
    const c = benchCoverage(i);
    const p = params.length;
    params.push(c.coverageId, c.memberSystem, c.memberId, c.subscriberId ?? null, c.relationship ?? null, c.plan ?? null, c.status, c.periodStart ?? null, c.periodEnd ?? null);
    tuples.push(`($1, $${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}, $${p + 8}::date, $${p + 9}::date, 'import', 1)`);
  }
  const sql = `insert into bench_scratch_coverages (insurer_id, coverage_id, member_system, member_id, subscriber_id, relationship, plan, status,
    period_start, period_end, source, import_id) values ${tuples.join(', ')}${upsert ? ON_CONFLICT : ''}`;
  return { sql, params };
}
