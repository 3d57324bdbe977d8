/**
 * Retention: the payloads of settled claims older than RETENTION_DAYS are purged by the worker role's
 * periodic job; the audit facts (claim row, timeline, response outcomes) stay, reads answer 410, and
 * claims still in flight are never purged.
 */
import { readFileSync } from 'node:fs';
import type { Bundle } from '@medplum/fhirtypes';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ env: { RETENTION_DAYS: '30', RETENTION_INTERVAL_MS: '200' } });
});
afterAll(async () => {
  await gw?.stop();
});

async function submitted(bundle: Bundle, headers: Record<string, string> = {}): Promise<string> {
  const answer = await gw.submit(bundle, 'demo-clinic', headers);
  expect(answer.status).toBe(202);
  return answer.headers.get('location')!.split('/Claim/')[1]!;
}

describe('retention', () => {
  it('expires idempotency keys past their time to live, whatever the retention', async () => {
    await gw.submit(claimBundle(), 'demo-clinic', { 'Idempotency-Key': 'week-old-key' });
    await gw.submit(claimBundle(), 'demo-clinic', { 'Idempotency-Key': 'fresh-key' });
    await gw.passerelle.db.query(`update idempotency_keys set created_at = now() - interval '8 days' where key = 'week-old-key'`);
    await eventually(async () => {
      const { rows } = await gw.passerelle.db.query<{ key: string }>(`select key from idempotency_keys where key in ('week-old-key', 'fresh-key')`);
      expect(rows.map((r) => r.key)).toEqual(['fresh-key']);
    });
  });

  it('deletes answered eligibility requests past the retention period', async () => {
    const question = readFileSync(new URL('./fixtures/eligibility-request-covered-member.json', import.meta.url), 'utf8').replaceAll('TODAY', new Date().toISOString().slice(0, 10));
    const ask = async () => {
      const res = await fetch(`${gw.url}/fhir/CoverageEligibilityRequest/$submit`, {
        method: 'POST', body: question, headers: { Authorization: `Bearer ${await gw.token('demo-clinic')}`, 'Content-Type': 'application/fhir+json' },
      });
      expect(res.status).toBe(200);
      return res.headers.get('location')!.split('/').pop()!;
    };
    const [old, recent] = [await ask(), await ask()];
    await gw.passerelle.db.query(`update eligibility_requests set created_at = now() - interval '31 days' where id = $1`, [old]);
    await eventually(async () => expectOutcome(await gw.get(`/fhir/CoverageEligibilityRequest/${old}`), 404, 'not-found'));
    expect((await gw.get(`/fhir/CoverageEligibilityRequest/${recent}`)).status).toBe(200);
  });

  it('purges old settled claims, keeps the audit facts and what is still in flight', async () => {
    await gw.sandbox('/_control/pended-posting', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: false }) });
    const settledBundle = claimBundle();
    const settled = await submitted(settledBundle, { 'Idempotency-Key': 'old-key' });
    await gw.waitForStatus(settled, ['complete']);
    const inFlight = await submitted(claimBundle('claim-bundle-above-pend-threshold'));
    await gw.waitForStatus(inFlight, ['pended']);
    const responseIds = ((await gw.get(`/fhir/ClaimResponse?request=Claim/${settled}`)).body as unknown as Bundle).entry!.map((e) => e.resource!.id!);

    await gw.passerelle.db.query(`update claims set created_at = now() - interval '31 days' where id = any($1)`, [[settled, inFlight]]);
    await gw.passerelle.db.query(`update idempotency_keys set created_at = now() - interval '31 days'`);

    await eventually(async () => expectOutcome(await gw.get(`/fhir/Claim/${settled}`), 410, 'purged'));
    expectOutcome(await gw.get(`/fhir/ClaimResponse/${responseIds[1]}`), 410, 'purged');
    expect(((await gw.get(`/fhir/ClaimResponse?request=Claim/${settled}`)).body as unknown as Bundle).total).toBe(0);
    expectOutcome(await gw.submit(settledBundle), 410, 'purged'); // its identifier is still known: not accepted twice

    const row = await gw.passerelle.db.query<{ bundle: unknown; status: string }>('select bundle, status from claims where id = $1', [settled]);
    expect(row.rows[0]).toEqual({ bundle: null, status: 'complete' });
    const responses = await gw.passerelle.db.query<{ outcome: string; resource: unknown }>('select outcome, resource from claim_responses where claim_id = $1 order by created_at', [settled]);
    expect(responses.rows).toEqual([{ outcome: 'queued', resource: null }, { outcome: 'complete', resource: null }]);
    const events = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [settled]);
    expect(events.rows.map((e) => e.status)).toEqual(['accepted', 'queued', 'complete', 'purged']);
    const keys = await gw.passerelle.db.query<{ n: number }>(`select count(*)::int as n from idempotency_keys where key = 'old-key'`);
    expect(keys.rows[0]!.n).toBe(0);

    const operator = await gw.token('demo-operator');
    const detail = (await (await fetch(`${gw.url}/admin/claims/${settled}`, { headers: { Authorization: `Bearer ${operator}` } })).json()) as { claim: unknown; purgedAt: string | null; status: string };
    expect(detail).toMatchObject({ claim: null, status: 'complete' });
    expect(detail.purgedAt).not.toBeNull();

    expect((await gw.get(`/fhir/Claim/${inFlight}`)).status).toBe(200); // pended: never purged
  }, 30_000);
});
