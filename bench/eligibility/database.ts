/**
 * A fresh PostgreSQL database for one benchmark run, dropped afterwards (as the test harness does), on
 * the server of BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local one.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Creates the database; drop() removes it. */
export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `passerelle_bench_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  try {
    await client.connect();
    await client.query(statement);
  } catch (err) {
    throw new Error(`The eligibility benchmark needs PostgreSQL at ${SERVER_URL} (set BENCH_DATABASE_URL): ${(err as Error).message}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}
