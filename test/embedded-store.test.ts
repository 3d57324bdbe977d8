/**
 * The embedded path: with DATABASE_URL unset, the same schema and pipeline run on PGlite under the
 * data directory, and what was accepted is still there after a restart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimBundle, startTestGateway } from './harness.js';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'passerelle-embedded-'));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded PGlite store', () => {
  it('runs the whole pipeline on PGlite and keeps claims across a restart', async () => {
    const first = await startTestGateway({ embedded: true, env: { DATA_DIR: dataDir } });
    let claimId: string;
    try {
      expect(first.passerelle.db.kind).toBe('pglite');
      const ready = await fetch(`${first.url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'up', migrations: 'up', redis: 'up' } });
      const answer = await first.submit(claimBundle());
      expect(answer.status).toBe(202);
      claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
      await first.waitForStatus(claimId, ['complete']);
    } finally {
      await first.stop();
    }
    const second = await startTestGateway({ embedded: true, env: { DATA_DIR: dataDir } });
    try {
      const claim = await second.get(`/fhir/Claim/${claimId}`);
      expect(claim.status).toBe(200);
      const migrations = await second.passerelle.db.query<{ n: number }>('select count(*)::int as n from schema_migrations');
      expect(migrations.rows[0]!.n).toBeGreaterThan(0);
      // The synced registry (demo-mutuelle, pulled at start) answers from PGlite too, and refuses a lapsed member's claim.
      const question = JSON.parse(readFileSync(new URL('./fixtures/eligibility-request-covered-member.json', import.meta.url), 'utf8')
        .replaceAll('TODAY', new Date().toISOString().slice(0, 10)).replaceAll('demo-insurer', 'demo-mutuelle').replaceAll('M0001', 'C0001')) as unknown;
      const eligibility = await fetch(`${second.url}/fhir/CoverageEligibilityRequest/$submit`, {
        method: 'POST', body: JSON.stringify(question),
        headers: { Authorization: `Bearer ${await second.token('demo-clinic')}`, 'Content-Type': 'application/fhir+json' },
      });
      expect(eligibility.status).toBe(200);
      expect(await eligibility.json()).toMatchObject({ outcome: 'complete', insurance: [{ inforce: true }] });
      expect((await second.submit(claimBundle(undefined, { insurer: 'demo-mutuelle', member: 'C0950' }))).status).toBe(422);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
