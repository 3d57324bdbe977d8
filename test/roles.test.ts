/**
 * One binary, roles by configuration: an API-only process accepts claims and a separate worker-only
 * process delivers them, sharing PostgreSQL and Redis.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Claim } from '@medplum/fhirtypes';
import { loadConfig } from '../gateway/config.js';
import { createLogger } from '../gateway/logger.js';
import { startPasserelle } from '../gateway/runtime.js';
import { claimBundle, createTestDatabase, processingStatus, removeQueues } from './harness.js';
import { TEST_REDIS_URL } from './services.js';

describe('roles', () => {
  it('runs the API and the workers in separate processes', async () => {
    const database = await createTestDatabase();
    const prefix = `ptest-${randomBytes(4).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-roles-'));
    const env = {
      DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, DATA_DIR: dataDir, PORT: '0', SANDBOX_PORT: '0',
      DELIVERY_BACKOFF_MS: '50', OUTBOX_RELAY_INTERVAL_MS: '200', LOG_LEVEL: 'silent',
    };
    const logger = createLogger('silent');
    const api = await startPasserelle(loadConfig({ ...env, PASSERELLE_ROLE: 'api' }), { logger });
    const worker = await startPasserelle(loadConfig({ ...env, PASSERELLE_ROLE: 'worker' }), { logger });
    try {
      expect(api.url).toBeDefined();
      expect(worker.url).toBeUndefined();
      const token = await (await fetch(`${api.url}/auth/token`, {
        method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret' }),
      })).json() as { access_token: string };
      const headers = { Authorization: `Bearer ${token.access_token}` };
      const answer = await fetch(`${api.url}/fhir/Claim/$submit`, {
        method: 'POST', headers: { ...headers, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(claimBundle()),
      });
      expect(answer.status).toBe(202);
      const location = answer.headers.get('location')!;
      let status: string | undefined;
      for (let i = 0; i < 200 && status !== 'complete'; i++) {
        status = processingStatus((await (await fetch(location, { headers })).json()) as Claim);
        if (status !== 'complete') await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe('complete');
    } finally {
      await api.close();
      await worker.close();
      await removeQueues(prefix);
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to run a role on its own without DATABASE_URL (the embedded store serves one process)', () => {
    expect(() => loadConfig({ PASSERELLE_ROLE: 'worker' })).toThrow(/PASSERELLE_ROLE=worker needs DATABASE_URL/);
  });
});
