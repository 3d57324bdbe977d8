/**
 * Graceful shutdown: close() lets a delivery in progress finish and records its outcome before the
 * stores close; nothing is cut half-way. Safe to call twice.
 */
import pg from 'pg';
import { claimBundle, eventually, startTestGateway } from './harness.js';

describe('graceful shutdown', () => {
  it('drains the delivery in progress before closing the stores', async () => {
    const gw = await startTestGateway();
    let stopped = false;
    try {
      // The insurer takes 1.5 s to answer (then 503): the delivery is in flight when close() starts.
      await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 503, count: 1, hangMs: 1500 }) });
      const answer = await gw.submit(claimBundle());
      const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
      await eventually(async () => expect((gw.sandbox('/_control/stats').then((s) => (s.body.received as Record<string, number>)[claimId]))).resolves.toBe(1));
      const db = gw.passerelle.db;
      const events = () => db.query<{ status: string; detail: { error?: string } | null }>('select status, detail from claim_events where claim_id = $1 order by id', [claimId]);
      const closing = Promise.all([gw.passerelle.close(), gw.passerelle.close()]);
      // While the workers drain, the database is still open and the attempt is not yet recorded.
      expect((await events()).rows.map((r) => r.status)).toEqual(['accepted', 'queued']);
      await closing;
      stopped = true;
      await expect(db.query('select 1')).rejects.toThrow(); // the stores closed last
      // Read through another connection: the attempt finished and was recorded with the insurer's answer.
      const reader = new pg.Client({ connectionString: gw.databaseUrl });
      await reader.connect();
      const recorded = await reader.query<{ status: string; detail: { error?: string } | null }>('select status, detail from claim_events where claim_id = $1 order by id', [claimId]);
      await reader.end();
      expect(recorded.rows.map((r) => r.status)).toEqual(['accepted', 'queued', 'delivery-retry']);
      expect(recorded.rows[2]!.detail?.error).toBe('insurer answered HTTP 503');
    } finally {
      if (!stopped) await gw.passerelle.close();
      await gw.stop();
    }
  }, 30_000);
});
