/**
 * Isolation measurement (npm run test:faults): delivery latency to a healthy insurer, first on its own,
 * then while another insurer hangs 2 s and fails on every delivery. Latency is from acceptance to the
 * recorded adjudication (claim events). Prints both; the assertion is only a sanity bound (precise
 * performance targets live in the benchmarks).
 */
import { claimBundle, startTestGateway, type TestGateway } from '../harness.js';

const CLAIMS = 40;

async function submitMany(gw: TestGateway, insurer: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => gw.submit(claimBundle(undefined, { insurer }))));
    ids.push(...batch.map((a) => a.headers.get('location')!.split('/Claim/')[1]!));
  }
  return ids;
}

async function latencies(gw: TestGateway, ids: string[]): Promise<number[]> {
  await Promise.all(ids.map((id) => gw.waitForStatus(id, ['complete'], 'demo-clinic', 60_000)));
  const { rows } = await gw.passerelle.db.query<{ ms: number }>(
    `select extract(epoch from (max(at) filter (where status = 'complete') - min(at) filter (where status = 'accepted'))) * 1000 as ms
     from claim_events where claim_id = any($1) group by claim_id`, [ids]);
  return rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

describe('insurer isolation, measured', () => {
  it('keeps the healthy insurer fast while another insurer hangs and fails', async () => {
    const gw = await startTestGateway({ env: { DELIVERY_TIMEOUT_MS: '5000' } });
    try {
      const alone = await latencies(gw, await submitMany(gw, 'demo-insurer', CLAIMS));
      await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-mutuelle', status: 503, hangMs: 2000, count: 100_000 }) });
      const [, healthyIds] = await Promise.all([submitMany(gw, 'demo-mutuelle', CLAIMS), submitMany(gw, 'demo-insurer', CLAIMS)]);
      const during = await latencies(gw, healthyIds);
      const report = {
        healthyAlone: { p50: Math.round(percentile(alone, 0.5)), p95: Math.round(percentile(alone, 0.95)) },
        healthyWhileOtherDown: { p50: Math.round(percentile(during, 0.5)), p95: Math.round(percentile(during, 0.95)) },
      };
      process.stdout.write(`\nisolation (ms, acceptance to adjudication, ${CLAIMS} claims each): ${JSON.stringify(report)}\n`);
      expect(report.healthyWhileOtherDown.p95).toBeLessThan(Math.max(3 * report.healthyAlone.p95, report.healthyAlone.p95 + 500));
    } finally {
      await gw.stop();
    }
  }, 180_000);
});
