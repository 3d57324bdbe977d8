/**
 * Where the tests find the real services: PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL).
 * .ci/run installs and starts both; on a developer machine the defaults are the local ones.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
