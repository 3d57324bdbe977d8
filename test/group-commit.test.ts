/**
 * Group commit (gateway/store/coalescer.ts): what concurrent requests write one row at a time goes to the
 * database together, without a row lost, delayed behind a timer, or written twice; a failed batch fails
 * its callers only; closing the store first writes what it was given. Checked on the coalescer alone,
 * then on real PostgreSQL with the gateway's own writers: audit events, idempotent answers, dispatches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Coalescer } from '../gateway/store/coalescer.js';
import { openDatabase, type Database } from '../gateway/store/database.js';
import { migrate } from '../gateway/store/migrate.js';
import { AuditLog } from '../gateway/audit/audit-log.js';
import { IdempotencyStore } from '../gateway/http/idempotency.js';
import { createLogger } from '../gateway/logger.js';
import type { OperationOutcomeError } from '../gateway/fhir/outcomes.js';
import { createTestDatabase } from './harness.js';

/** A flush that records its batches and answers each item doubled, after the test lets it go. */
function recordingFlush() {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const flush = async (items: readonly number[]) => {
    batches.push([...items]);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((n) => n * 2);
  };
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { batches, flush, release };
}

describe('Coalescer', () => {
  test('a lone item is written at once; items arriving meanwhile go together in the next write', async () => {
    const { batches, flush, release } = recordingFlush();
    const coalescer = new Coalescer(flush);
    const first = coalescer.add(1);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    const later = [2, 3, 4].map((n) => coalescer.add(n));
    await release();
    expect(await first).toBe(2);
    await release();
    expect(await Promise.all(later)).toEqual([4, 6, 8]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  test('items added in one turn of the event loop share a write; a batch never exceeds its maximum', async () => {
    const { batches, flush, release } = recordingFlush();
    const coalescer = new Coalescer(flush, 2);
    const all = [1, 2, 3, 4, 5].map((n) => coalescer.add(n));
    for (let i = 0; i < 3; i++) await release();
    expect(await Promise.all(all)).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  test('a failed write rejects its own callers only; the next batch is written', async () => {
    let calls = 0;
    const coalescer = new Coalescer<number>(async (items) => {
      calls++;
      await new Promise((r) => setImmediate(r));
      if (items.includes(13)) throw new Error('database unavailable');
    });
    const failing = [coalescer.add(13), coalescer.add(14)];
    await new Promise((r) => setImmediate(r));
    const next = coalescer.add(15);
    const settled = await Promise.allSettled([...failing, next]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(calls).toBe(2);
  });

  test('idle() waits for every item added so far, including those queued behind a running write', async () => {
    const written: number[] = [];
    const coalescer = new Coalescer<number>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      written.push(...items);
    });
    void coalescer.add(1);
    await new Promise((r) => setImmediate(r));
    void coalescer.add(2);
    void coalescer.add(3);
    await coalescer.idle();
    expect(written).toEqual([1, 2, 3]);
    // Added after the loop ended: started again, not left behind.
    await coalescer.add(4);
    expect(written).toEqual([1, 2, 3, 4]);
  });
});

/** The gateway error code of a rejected call (its OperationOutcome's first issue). */
function errorCode(outcome: PromiseSettledResult<unknown>): string | undefined {
  if (outcome.status !== 'rejected') return undefined;
  const error = outcome.reason as OperationOutcomeError;
  return error.outcome?.issue?.[0]?.details?.coding?.[0]?.code;
}

describe('group commit on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Database;
  const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-group-commit-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase({ databaseUrl: database.url, dataDir });
    await migrate(db);
  });

  afterAll(async () => {
    await db.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('200 concurrent audit events are all stored, in far fewer statements, each readable by its participant', async () => {
    let statements = 0;
    const counting: Database = { ...db, query: (sql, params, options) => {
      if (sql.includes('insert into audit_events')) statements++;
      return db.query(sql, params, options);
    } };
    const audit = new AuditLog(counting, createLogger('silent'));
    await Promise.all(Array.from({ length: 200 }, (_, i) => audit.recordAccess({
      method: 'GET', path: `/fhir/Claim/${i}`, status: 200, participantId: `clinic-${i % 4}`, clientId: `client-${i % 4}`, address: '127.0.0.1',
    })));
    const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from audit_events where agent like 'clinic-%'`);
    expect(rows[0]!.n).toBe(200);
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThan(200);
    const mine = await audit.search({ visibleTo: 'clinic-1', limit: 500, offset: 0 });
    expect(mine.total).toBe(50);
    expect(mine.events.every((e) => e.outcomeDesc?.startsWith('GET /fhir/Claim/') && JSON.stringify(e.agent).includes('clinic-1'))).toBe(true);
  });

  test('concurrent idempotent answers are each stored under their own key and replayed', async () => {
    const store = new IdempotencyStore(db);
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    await Promise.all(keys.map((key) => store.begin('clinic-a', key, `hash-${key}`)));
    await Promise.all(keys.map((key, i) => store.complete('clinic-a', key, { status: 202, headers: { Location: `/fhir/Claim/${i}` }, body: { n: i } })));
    const replays = await Promise.all(keys.map((key) => store.begin('clinic-a', key, `hash-${key}`)));
    replays.forEach((replay, i) => expect(replay).toEqual({ status: 202, headers: { Location: `/fhir/Claim/${i}` }, body: { n: i } }));
    // Another participant's key of the same name is its own.
    expect(await store.begin('clinic-b', 'key-0', 'hash-key-0')).toBeUndefined();
  });

  test('keys begun together are claimed in one statement; a key given twice at once runs once, the other gets 409', async () => {
    let statements = 0;
    const counting: Database = { ...db, query: (sql, params, options) => {
      if (sql.includes('insert into idempotency_keys')) statements++;
      return db.query(sql, params, options);
    } };
    const store = new IdempotencyStore(counting);
    const keys = Array.from({ length: 40 }, (_, i) => `together-${i}`);
    const outcomes = await Promise.allSettled([
      ...keys.map((key) => store.begin('clinic-a', key, `hash-${key}`)),
      store.begin('clinic-a', 'together-7', 'hash-together-7'), // the same request again, in the same batch
      store.begin('clinic-b', 'together-7', 'hash-together-7'), // another participant's key of the same name
    ]);
    expect(outcomes.slice(0, 40).map((o) => o.status === 'fulfilled' && o.value === undefined)).toEqual(keys.map(() => true));
    const repeat = outcomes[40]!;
    expect(repeat.status).toBe('rejected');
    expect(errorCode(repeat)).toBe('idempotency-in-flight');
    expect(outcomes[41]).toEqual({ status: 'fulfilled', value: undefined });
    expect(statements).toBeLessThan(10);
    const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from idempotency_keys where key like 'together-%' and state = 'in_flight'`);
    expect(rows[0]!.n).toBe(41);
    // A key begun again with another body, in a batch of its own or not, is still refused (422).
    const mismatch = await Promise.allSettled([store.begin('clinic-a', 'together-8', 'another-hash'), store.begin('clinic-a', 'fresh', 'h')]);
    expect(errorCode(mismatch[0]!)).toBe('idempotency-mismatch');
    expect(mismatch[1]).toEqual({ status: 'fulfilled', value: undefined });
  });

  test('closing the store first writes what its writers were given', async () => {
    const other = await openDatabase({ databaseUrl: database.url, dataDir });
    const audit = new AuditLog(other, createLogger('silent'));
    const pending = Array.from({ length: 30 }, (_, i) => audit.recordAccess({ method: 'GET', path: `/metadata`, status: 200, participantId: 'closing', address: `10.0.0.${i}` }));
    await other.close();
    await Promise.all(pending);
    const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from audit_events where agent = 'closing'`);
    expect(rows[0]!.n).toBe(30);
  });
});
