/**
 * Applies the plain SQL migrations in store/migrations, in file-name order, each in its own transaction,
 * identical on PostgreSQL and PGlite. An advisory lock makes concurrent starts of several processes safe.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

const MIGRATION_LOCK = 4_201_1977;

/** The migration files shipped with this build, in the order they apply. */
export function migrationFiles(dir = migrationsDir()): string[] {
  return readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
}

function migrationsDir(): string {
  // The build copies migrations/ next to the compiled module, so one relative path serves both.
  return fileURLToPath(new URL('./migrations/', import.meta.url));
}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrate(db: Database): Promise<string[]> {
  await db.exec(`create table if not exists schema_migrations (
    name text primary key, applied_at timestamptz not null default now())`);
  const applied: string[] = [];
  const dir = migrationsDir();
  for (const name of migrationFiles(dir)) {
    const script = readFileSync(join(dir, name), 'utf8');
    const done = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const seen = await tx.query('select 1 from schema_migrations where name = $1', [name]);
      if (seen.rows.length > 0) return false;
      for (const statement of splitStatements(script)) await tx.query(statement);
      await tx.query('insert into schema_migrations (name) values ($1)', [name]);
      return true;
    });
    if (done) applied.push(name);
  }
  return applied;
}

/** True when every shipped migration is recorded as applied (used by /readyz). */
export async function migrationsApplied(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ name: string }>('select name from schema_migrations');
  const names = new Set(rows.map((r) => r.name));
  return migrationFiles().every((f) => names.has(f));
}

/** Splits a migration script on semicolons that end a line (our migrations hold no function bodies). */
function splitStatements(script: string): string[] {
  return script
    .replace(/--.*$/gm, '')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
