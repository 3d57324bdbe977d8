/**
 * The system of record behind one small contract, so every repository runs unchanged on PostgreSQL
 * (pg pool) and on the embedded PGlite database that a newcomer gets when DATABASE_URL is unset.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Coalescer, type Flush } from './coalescer.js';

/** Anything that runs a parameterised statement: the database itself or an open transaction. */
export interface Queryable {
  /**
   * Runs a statement. A name makes it a prepared statement on PostgreSQL, parsed once per connection and
   * its plan cached: for the statements every claim runs (the claim's insert is a dozen CTEs, whose
   * parsing and planning were a quarter of PostgreSQL's CPU per claim). A name must always go with the
   * same text. PGlite ignores it.
   */
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[], options?: { readonly name?: string }): Promise<{ rows: R[] }>;
}

/** The store: statements, transactions, a multi-statement script runner for migrations, and close. */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Group commit (store/coalescer.ts): a writer that many concurrent callers call with one item each,
   * `flush` writing the items that arrive together in one statement and returning each one's result in
   * order. close() waits for the items already given to it before closing the store.
   */
  batched<T, R = void>(flush: Flush<T, R>, maxBatch?: number): (item: T) => Promise<R>;
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/** Runs a statement on a pg pool or client, as a prepared statement when it is named. */
function run<R extends object>(on: pg.Pool | pg.PoolClient, sql: string, params?: unknown[], options?: { readonly name?: string }): Promise<{ rows: R[] }> {
  return options?.name ? on.query<R>({ name: options.name, text: sql, values: params }) : on.query<R>(sql, params);
}

/** Opens PostgreSQL when a URL is given, else the embedded PGlite database under dataDir/pglite. */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; databasePoolSize?: number }): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.databasePoolSize ?? 10);
  return openPglite(join(options.dataDir, 'pglite'));
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client can lose its server (restart, network); that must not crash the process.
  pool.on('error', () => undefined);
  await pool.query('select 1');
  let closed = false;
  const writers = batchedWriters();
  return {
    kind: 'postgres',
    batched: writers.batched,
    query: (sql, params, options) => run(pool, sql, params, options),
    exec: async (script) => {
      await pool.query(script);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({ query: (sql, params, options) => run(client, sql, params, options) });
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await writers.idle();
      await pool.end();
    },
  };
}

/** A read-only connection to a replica: queries, and close. */
export interface ReadReplica extends Queryable {
  close(): Promise<void>;
}

/** What the replica connection tells its owner: a failover to the primary and back, for logs and metrics. */
export interface ReplicaEvents {
  /** The replica failed to answer: reads go to the primary until it answers again. */
  unavailable(err: Error): void;
  /** The replica answers again. */
  recovered(): void;
}

/** How long reads stay on the primary after the replica failed, before it is tried again. */
const REPLICA_RETRY_MS = 5000;

/** A failure of the connection (refused, reset, server shutting down or in crash recovery), not of the statement. */
function connectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (/^(08|57P0[1-3])/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code))) return true;
  return err instanceof Error && /Connection terminated|timeout exceeded when trying to connect/.test(err.message);
}

/**
 * Reads for a hot-standby replica of the primary (DATABASE_READ_URL), for the reads that tolerate its
 * lag: the operators' transaction log and insurer health, and the metrics' counts. When the replica
 * cannot be reached the same statement runs on the primary, and reads stay there for a few seconds
 * before the replica is tried again: a replica down never takes the console or the metrics down. A
 * statement that fails on the replica for another reason (bad SQL, a conflict with recovery) fails.
 */
export function openReadReplica(url: string, max: number, primary: Queryable, events: ReplicaEvents): ReadReplica {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'passerelle-reads', connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  let primaryUntil = 0;
  let failed = false;
  return {
    query: async <R extends object>(sql: string, params?: unknown[], options?: { readonly name?: string }) => {
      if (Date.now() < primaryUntil) return primary.query<R>(sql, params, options);
      try {
        const result = await run<R>(pool, sql, params, options);
        if (failed) {
          failed = false;
          events.recovered();
        }
        return result;
      } catch (err) {
        if (!connectionFailure(err)) throw err;
        primaryUntil = Date.now() + REPLICA_RETRY_MS;
        if (!failed) {
          failed = true;
          events.unavailable(err as Error);
        }
        return primary.query<R>(sql, params, options);
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dir: string): Promise<Database> {
  mkdirSync(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  // One session for everything: PGlite serialises statements itself; no pool, no second client.
  const db = await PGlite.create(dir);
  let closed = false;
  const writers = batchedWriters();
  return {
    kind: 'pglite',
    batched: writers.batched,
    query: async <R extends object>(sql: string, params?: unknown[]) => ({ rows: (await db.query<R>(sql, params)).rows }),
    exec: async (script) => {
      await db.exec(script);
    },
    transaction: (fn) =>
      db.transaction((tx) => fn({ query: async <R extends object>(sql: string, params?: unknown[]) => ({ rows: (await tx.query<R>(sql, params)).rows }) })),
    close: async () => {
      if (closed) return;
      closed = true;
      await writers.idle();
      await db.close();
    },
  };
}

/** The batched writers of one store, so that closing it first lets them finish. */
function batchedWriters(): { batched: Database['batched']; idle: () => Promise<void> } {
  const all: Array<Coalescer<never, unknown>> = [];
  return {
    batched: <T, R>(flush: Flush<T, R>, maxBatch?: number) => {
      const coalescer = new Coalescer<T, R>(flush, maxBatch);
      all.push(coalescer as unknown as Coalescer<never, unknown>);
      return (item: T) => coalescer.add(item);
    },
    idle: async () => {
      await Promise.all(all.map((c) => c.idle()));
    },
  };
}
