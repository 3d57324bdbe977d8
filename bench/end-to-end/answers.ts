/**
 * Reads the progress of a benchmark phase straight from PostgreSQL: its claims are those whose
 * Claim.identifier system is the phase's own. A claim is answered when its status is an insurer
 * outcome (complete, partial, error); "failed" (a dead letter) is an end too, but not an answer.
 * Latencies come from claim_events: the "accepted" event (written in the submission's transaction)
 * to the event of the insurer's outcome (written in the transaction that stores its ClaimResponse),
 * both stamped by PostgreSQL's now(), the start of their transaction.
 */
import type { Database } from '../../gateway/store/database.js';

export const ANSWERED = ['complete', 'partial', 'error'] as const;

/** Claims of one phase by status. */
export interface PhaseProgress {
  readonly total: number;
  /** Status → count. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** complete + partial + error. */
  readonly answered: number;
  /** answered + failed: claims that will not move any more. */
  readonly settled: number;
}

/** Counts a phase's claims by status (identifierSystem null: every claim in the database). */
export async function phaseProgress(db: Database, identifierSystem: string | null): Promise<PhaseProgress> {
  const { rows } = await db.query<{ status: string; n: string }>(
    `select status, count(*) as n from claims ${identifierSystem === null ? '' : 'where identifier_system = $1'} group by status`,
    identifierSystem === null ? [] : [identifierSystem]);
  return progressOf(rows.map((r) => [r.status, Number(r.n)]));
}

/** The progress figures from (status, count) pairs. */
export function progressOf(counts: ReadonlyArray<readonly [string, number]>): PhaseProgress {
  const byStatus = Object.fromEntries(counts);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  const answered = ANSWERED.reduce((sum, s) => sum + (byStatus[s] ?? 0), 0);
  return { total, byStatus, answered, settled: answered + (byStatus.failed ?? 0) };
}

export interface WaitOptions {
  /** How many claims the phase must settle. */
  readonly expected: number;
  readonly pollMs: number;
  /** Give up when nothing settled for this long. */
  readonly stallMs: number;
}

/**
 * Polls until the phase's claims are all settled, or nothing moved for stallMs. Returns the last
 * progress and when (performance.now()) the poll saw it.
 */
export async function waitForSettled(db: Database, identifierSystem: string | null, options: WaitOptions): Promise<{ progress: PhaseProgress; at: number; stalled: boolean }> {
  let last = -1;
  let movedAt = performance.now();
  for (;;) {
    const progress = await phaseProgress(db, identifierSystem);
    const at = performance.now();
    if (progress.settled >= options.expected) return { progress, at, stalled: false };
    if (progress.settled !== last) {
      last = progress.settled;
      movedAt = at;
    } else if (at - movedAt > options.stallMs) {
      return { progress, at, stalled: true };
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/** For each answered claim of the phase: milliseconds from its "accepted" event to its insurer outcome's event. */
export async function answerLatencies(db: Database, identifierSystem: string): Promise<number[]> {
  const { rows } = await db.query<{ ms: number }>(
    `select extract(epoch from (d.at - a.at)) * 1000 as ms
       from claims c
       join lateral (select min(at) as at from claim_events where claim_id = c.id and status = 'accepted') a on true
       join lateral (select min(at) as at from claim_events where claim_id = c.id and status = any($2)) d on true
      where c.identifier_system = $1 and a.at is not null and d.at is not null`,
    [identifierSystem, [...ANSWERED]]);
  return rows.map((r) => Number(r.ms));
}

/** The phase's span on PostgreSQL's clock: first acceptance to last insurer outcome, in ms. */
export async function databaseSpanMs(db: Database, identifierSystem: string): Promise<number | null> {
  const { rows } = await db.query<{ ms: number | null }>(
    `select extract(epoch from (max(e.at) filter (where e.status = any($2)) - min(e.at) filter (where e.status = 'accepted'))) * 1000 as ms
       from claim_events e join claims c on c.id = e.claim_id where c.identifier_system = $1`,
    [identifierSystem, [...ANSWERED]]);
  return rows[0]?.ms === null || rows[0]?.ms === undefined ? null : Number(rows[0].ms);
}

/** How many of the phase's claims have an insurer ClaimResponse stored. */
export async function insurerResponseCount(db: Database, identifierSystem: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `select count(distinct r.claim_id) as n from claim_responses r join claims c on c.id = r.claim_id
      where c.identifier_system = $1 and r.source = 'insurer'`, [identifierSystem]);
  return Number(rows[0]?.n ?? 0);
}

/** A few claim ids of the phase, spread over it, for reading their answers through the API. */
export async function sampleClaimIds(db: Database, identifierSystem: string, count: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'select id from claims where identifier_system = $1 order by md5(id::text) limit $2', [identifierSystem, count]);
  return rows.map((r) => r.id);
}
