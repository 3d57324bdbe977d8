/**
 * Claim watch: a pended claim whose insurer answer never arrives by notification is flagged stuck past
 * the deadline (event, Claim extension, operator list), then answered by polling the insurer, which
 * clears the flag.
 */
import type { Claim } from '@medplum/fhirtypes';
import { STUCK_SINCE_EXTENSION } from '../gateway/claims/claim-status.js';
import { claimBundle, eventually, processingStatus, startTestGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ env: { ANSWER_DEADLINE_MS: '400', PENDED_POLL_AFTER_MS: '1500', CLAIM_WATCH_INTERVAL_MS: '100' } });
});
afterAll(async () => {
  await gw?.stop();
});

const stuckSince = (claim: Claim) => claim.extension?.find((e) => e.url === STUCK_SINCE_EXTENSION)?.valueDateTime;

async function stuckList(): Promise<string[]> {
  const token = await gw.token('demo-operator');
  const page = (await (await fetch(`${gw.url}/admin/stuck-claims`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { claims: Array<{ id: string }> };
  return page.claims.map((c) => c.id);
}

describe('claim watch', () => {
  it('flags a claim stuck past its deadline, then gets its answer by polling the insurer', async () => {
    const off = await gw.sandbox('/_control/pended-posting', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: false }) });
    expect(off.status).toBe(200);
    const answer = await gw.submit(claimBundle('claim-bundle-above-pend-threshold'));
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await gw.waitForStatus(claimId, ['pended']);

    const stuck = await eventually(async () => {
      const claim = (await gw.get(`/fhir/Claim/${claimId}`)).body as unknown as Claim;
      expect(stuckSince(claim)).toBeDefined();
      return claim;
    });
    expect(processingStatus(stuck)).toBe('pended');
    expect(await stuckList()).toContain(claimId);

    const done = await gw.waitForStatus(claimId, ['complete']);
    expect(stuckSince(done)).toBeUndefined();
    expect(await stuckList()).not.toContain(claimId);
    const stats = (await gw.sandbox('/_control/stats')).body as { pendedAnswersPosted: number };
    expect(stats.pendedAnswersPosted).toBe(0); // the answer came by polling, not by the insurer's post
    const events = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [claimId]);
    expect(events.rows.map((r) => r.status)).toEqual(['accepted', 'queued', 'pended', 'stuck', 'complete']);
  }, 30_000);
});
