/**
 * Large bodies at once against a built gateway process started as deployments start it (npm start's
 * scripts/gateway.sh: a 192 MiB heap cap). Sixteen claim bundles of about 7 MB each, dense with small
 * objects (the worst case for the heap: parsed, such a body takes about 2.5 times its bytes), arrive
 * together. Without the body budget (gateway/http/body-budget.ts) the process ran out of heap and died
 * with every request in it. Here: every request gets a FHIR answer (an acceptance, a validation refusal
 * or 503 gateway-busy with Retry-After), the process lives on, stays within its memory, and accepts an
 * ordinary claim afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Claim } from '@medplum/fhirtypes';
import { freePort } from '../../gateway/queue/redis.js';
import { claimBundle, createTestDatabase, eventually, removeQueues } from '../harness.js';
import { TEST_REDIS_URL } from '../services.js';
import { gatewayProcess, memoryOf } from './processes.js';

const BODIES = 16;

/** A valid-looking claim of 900 items with 110 coded modifiers each: about 7 MB of small objects. */
function denseBundle(n: number): string {
  const bundle = claimBundle(undefined, { identifier: `dense-${n}-${randomBytes(4).toString('hex')}` });
  const claim = bundle.entry![0]!.resource as Claim;
  const item = claim.item![0]!;
  claim.item = Array.from({ length: 900 }, (_, k) => ({
    ...structuredClone(item), sequence: k + 1,
    modifier: Array.from({ length: 110 }, (_, m) => ({ coding: [{ system: 'http://example.org/modifier', code: `m${m}` }], text: `modifier ${m}` })),
  }));
  claim.total = { ...claim.total!, value: (item.net!.value ?? 0) * 900 };
  return JSON.stringify(bundle);
}

describe('large bodies under the deployed heap cap', () => {
  it('answers every one of 16 bodies of 7 MB sent at once, and lives on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-large-bodies-'));
    const database = await createTestDatabase();
    const [port, sandboxPort] = await Promise.all([freePort(), freePort()]);
    const url = `http://127.0.0.1:${port}`;
    const prefix = `plarge-${randomBytes(4).toString('hex')}`;
    const gateway = gatewayProcess('gateway', {
      PASSERELLE_MODE: 'demo', PASSERELLE_ROLE: 'api', HOST: '127.0.0.1', PORT: String(port), SANDBOX_PORT: String(sandboxPort),
      DATA_DIR: dir, DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', GATEWAY_HEAP_MB: '192',
    }, dir, url);
    try {
      await gateway.start();
      const pid = gateway.pid!;
      // /readyz answers once the stores are reachable; demo mode registers its participants just after.
      const token = await eventually(async () => {
        const res = await fetch(`${url}/auth/token`, {
          method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'demo-clinic-secret' }),
        });
        const body = (await res.json()) as { access_token?: string };
        if (!body.access_token) throw new Error(`no token yet: HTTP ${res.status}`);
        return body.access_token;
      }, 30_000);
      const submit = (body: string) => fetch(`${url}/fhir/Claim/$submit`, {
        method: 'POST', headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${token}` }, body,
      }).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { resourceType?: string } }));

      const bodies = Array.from({ length: BODIES }, (_, n) => denseBundle(n));
      expect(bodies[0]!.length).toBeGreaterThan(6_000_000);
      const answers = await Promise.all(bodies.map(submit));
      const statuses = answers.map((a) => a.status);
      console.log(`large bodies: statuses ${JSON.stringify(statuses)}; gateway memory ${JSON.stringify(memoryOf(pid))}`);

      for (const answer of answers) {
        expect([202, 422, 503]).toContain(answer.status);
        expect(answer.body.resourceType).toBe(answer.status === 202 ? 'ClaimResponse' : 'OperationOutcome');
        if (answer.status === 503) expect(JSON.stringify(answer.body)).toContain('gateway-busy');
        if (answer.status === 503) expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      }
      expect(gateway.pid).toBe(pid);
      expect(memoryOf(pid).peakMb).toBeLessThan(400);
      const ordinary = await submit(JSON.stringify(claimBundle(undefined, { identifier: `after-${randomBytes(4).toString('hex')}` })));
      expect(ordinary.status).toBe(202);
    } finally {
      await gateway.stop();
      await database.drop();
      await removeQueues(prefix);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
