/**
 * The system of record behind one small contract, so every repository runs unchanged on PostgreSQL
 * (pg pool) and on the embedded PGlite database that a newcomer gets when DATABASE_URL is unset.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** Anything that runs a parameterised statement: the database itself or an open transaction. */
export interface Queryable {
  /**
   * Runs a statement. A name makes it a prepared statement on PostgreSQL (parsed and planned once per
   * connection: for hot lookups); PGlite ignores it.
   */
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[], options?: { readonly name?: string }): Promise<{ rows: R[] }>;
}

/** The store: statements, transactions, a multi-statement script runner for migrations, and close. */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  exec(script: string): Promise<void>;
  close(): Promise<void>;
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
  return {
    kind: 'postgres',
    query: (sql, params, options) => (options?.name ? pool.query({ name: options.name, text: sql, values: params }) : pool.query(sql, params)),
    exec: async (script) => {
      await pool.query(script);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({ query: (sql, params) => client.query(sql, params) });
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
      await pool.end();
    },
  };
}

async function openPglite(dir: string): Promise<Database> {
  mkdirSync(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  // One session for everything: PGlite serialises statements itself; no pool, no second client.
  const db = await PGlite.create(dir);
  let closed = false;
  return {
    kind: 'pglite',
    query: async <R extends object>(sql: string, params?: unknown[]) => ({ rows: (await db.query<R>(sql, params)).rows }),
    exec: async (script) => {
      await db.exec(script);
    },
    transaction: (fn) =>
      db.transaction((tx) => fn({ query: async <R extends object>(sql: string, params?: unknown[]) => ({ rows: (await tx.query<R>(sql, params)).rows }) })),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
