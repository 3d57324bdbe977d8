/**
 * Before any test: the real PostgreSQL and Redis must answer, and Redis must not evict. Says exactly
 * what is missing instead of letting every suite time out. (Jest loads this file outside its module
 * mapping, so it imports packages only.)
 */
import pg from 'pg';
import { Redis } from 'ioredis';

export default async function globalSetup(): Promise<void> {
  const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`The tests need PostgreSQL at ${databaseUrl} (set TEST_DATABASE_URL; .ci/run sets it up): ${(err as Error).message}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    if (policy !== 'noeviction') throw new Error(`Redis at ${redisUrl} has maxmemory-policy ${policy}; the tests need noeviction`);
  } catch (err) {
    throw new Error(`The tests need Redis at ${redisUrl} (set TEST_REDIS_URL; .ci/run sets it up): ${(err as Error).message}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}
