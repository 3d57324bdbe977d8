/**
 * A provider's cancel Task: a claim its insurer has not taken is cancelled by the gateway and never
 * delivered; a pended one is cancelled by its insurer (the sandbox withdraws the answer it was
 * preparing); an adjudicated one is refused as too late; an insurer that takes no cancellations is named
 * in the refusal; a stranger learns nothing; cancelling twice answers the same.
 */
import type { Bundle, Claim, Coverage, Task } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, eventually, insurerResponses, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  // Pended claims stay pended at the sandbox for the whole suite.
  gw = await startTestGateway({ env: { SANDBOX_PEND_DELAY_MS: '600000' } });
});
afterAll(async () => {
  await gw?.stop();
});

const FINANCIAL_TASK = 'http://hl7.org/fhir/CodeSystem/financialtaskcode';

async function task(claimId: string, code: 'cancel' | 'status', clientId = 'demo-clinic') {
  const token = await gw.token(clientId);
  const body = { resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK, code }] }, focus: { reference: `Claim/${claimId}` } };
  const res = await fetch(`${gw.url}/fhir/Task`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const businessStatus = (answer: { body: Record<string, unknown> }) => (answer.body as unknown as Task).businessStatus?.coding?.[0]?.code;
const fault = (body: object) => gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('cancel Task', () => {
  it('cancels a claim its insurer has not taken yet, which is then never delivered', async () => {
    expect((await fault({ insurer: 'demo-insurer', operation: 'Claim/$submit', status: 503, count: 2 })).status).toBe(201);
    const claimId = claimIdOf(await gw.submit(claimBundle()));
    await eventually(async () => {
      const events = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1', [claimId]);
      expect(events.rows.map((r) => r.status)).toContain('delivery-retry');
    });
    const answer = await task(claimId, 'cancel');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ resourceType: 'Task', status: 'completed', code: { coding: [{ code: 'cancel' }] } });
    expect(businessStatus(answer)).toBe('cancelled');
    // The insurer answers again: another claim goes through, the cancelled one stays as it is.
    const next = claimIdOf(await gw.submit(claimBundle()));
    await gw.waitForStatus(next, ['complete']);
    await gw.waitForStatus(claimId, ['cancelled']);
    expect(insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body)).toEqual([]);
    expect(businessStatus(await task(claimId, 'cancel'))).toBe('cancelled'); // twice: the same answer
  }, 30_000);

  it('cancels a pended claim at its insurer, which withdraws the answer it was preparing', async () => {
    const claimId = claimIdOf(await gw.submit(claimBundle('claim-bundle-above-pend-threshold')));
    await gw.waitForStatus(claimId, ['pended']);
    const answer = await task(claimId, 'cancel');
    expect(answer.status).toBe(200);
    expect(businessStatus(answer)).toBe('cancelled');
    const atInsurer = (await gw.sandbox(`/demo-insurer/fhir/ClaimResponse?request=Claim/${claimId}`)).body as unknown as Bundle;
    expect(atInsurer.entry?.[0]?.resource).toMatchObject({ resourceType: 'ClaimResponse', status: 'cancelled' });
  }, 30_000);

  it('refuses to cancel an adjudicated claim, and says why', async () => {
    const claimId = claimIdOf(await gw.submit(claimBundle()));
    await gw.waitForStatus(claimId, ['complete']);
    const [issue] = expectOutcome(await task(claimId, 'cancel'), 409, 'cancel-too-late');
    expect(issue!.diagnostics).toContain('complete');
    expect(businessStatus(await task(claimId, 'status'))).toBe('complete');
  });

  it('names the insurer that takes no cancellations, and tells a stranger nothing', async () => {
    // The IPM JSON API keeps a claim above its threshold pending, and has no cancellation.
    const bundle = claimBundle('claim-bundle-above-pend-threshold');
    (bundle.entry![0]!.resource as Claim).insurer = { identifier: { system: 'urn:passerelle:participant', value: 'demo-ipm-json' } };
    (bundle.entry!.find((e) => e.resource?.resourceType === 'Coverage')!.resource as Coverage).payor = [{ identifier: { system: 'urn:passerelle:participant', value: 'demo-ipm-json' } }];
    const claimId = claimIdOf(await gw.submit(bundle));
    await gw.waitForStatus(claimId, ['pended']);
    const [issue] = expectOutcome(await task(claimId, 'cancel'), 409, 'cancel-not-offered');
    expect(issue!.diagnostics).toContain('demo-ipm-json');
    expectOutcome(await task(claimId, 'cancel', 'demo-hospital'), 404, 'not-found');
  }, 30_000);
});
