/**
 * GET /healthz: the process is alive. GET /readyz: it can do its work: database reachable and migrated,
 * Redis reachable. Neither needs a token; neither says more than up or down per dependency.
 */
import express from 'express';
import type { RedisConnection } from '../queue/redis.js';
import type { Database } from '../store/database.js';
import { migrationsApplied } from '../store/migrate.js';

async function check(probe: () => Promise<boolean>): Promise<'up' | 'down'> {
  try {
    return (await Promise.race([probe(), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())])) ? 'up' : 'down';
  } catch {
    return 'down';
  }
}

/** Health routes. */
export function healthRouter(deps: { db: Database; redis: () => RedisConnection }): express.Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, migrations, redis] = await Promise.all([
      check(async () => (await deps.db.query('select 1 as ok')).rows.length === 1),
      check(() => migrationsApplied(deps.db)),
      check(async () => (await deps.redis().ping()) === 'PONG'),
    ]);
    const ready = database === 'up' && migrations === 'up' && redis === 'up';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { database, migrations, redis } });
  });
  return router;
}
