/**
 * The backbone, end to end over real HTTP, PostgreSQL and Redis: providers submit claims, the gateway
 * accepts them durably, workers deliver them to the sandbox insurer, and the adjudication comes back.
 */
import type { ClaimResponse, OperationOutcome } from '@medplum/fhirtypes';
import { claimBundle, insurerResponses, processingStatus, startTestGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ env: { DELIVERY_TIMEOUT_MS: '1000' } });
});
afterAll(async () => {
  await gw?.stop();
});
beforeEach(async () => {
  await gw.sandbox('/_control/reset', { method: 'POST' });
});

async function fault(rule: Record<string, unknown>): Promise<void> {
  const res = await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rule) });
  expect(res.status).toBeLessThan(300);
}

async function submitAndWait(bundle: ReturnType<typeof claimBundle>, provider = 'demo-clinic') {
  const answer = await gw.submit(bundle, provider);
  expect(answer.status).toBe(202);
  const claimId = (answer.headers.get('location') ?? '').split('/Claim/')[1]!;
  const claim = await gw.waitForStatus(claimId, ['complete', 'partial', 'error', 'failed'], provider);
  const responses = await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, provider);
  return { answer, claimId, claim, responses: insurerResponses(responses.body) };
}

describe('claim pipeline', () => {
  it('accepts a claim with 202, a Location and a queued ClaimResponse pointing at the gateway claim', async () => {
    const answer = await gw.submit(claimBundle());
    expect(answer.status).toBe(202);
    expect(answer.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    const location = answer.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${gw.url}/fhir/Claim/[0-9a-f-]{36}$`));
    const response = answer.body as unknown as ClaimResponse;
    expect(response).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'queued', request: { reference: `Claim/${location.split('/Claim/')[1]}` } });
    expect(Object.keys(response)[0]).toBe('resourceType');
  });

  it('carries claims from both providers to both insurers and brings back each adjudication', async () => {
    const cases = [
      { provider: 'demo-clinic', insurer: 'demo-insurer', member: 'M0002', share: 0.8 },
      { provider: 'demo-hospital', insurer: 'demo-insurer', member: 'M0450', share: 0.8 },
      { provider: 'demo-clinic', insurer: 'demo-mutuelle', member: 'C0007', share: 0.5 },
      { provider: 'demo-hospital', insurer: 'demo-mutuelle', member: 'C0900', share: 0.5 },
    ];
    const results = await Promise.all(cases.map((c) => submitAndWait(claimBundle(undefined, c), c.provider)));
    results.forEach((result, i) => {
      expect(processingStatus(result.claim)).toBe('complete');
      expect(result.responses).toHaveLength(1);
      const benefit = result.responses[0]!.total?.find((t) => t.category.coding?.[0]?.code === 'benefit')?.amount?.value;
      expect(benefit).toBe(23000 * cases[i]!.share);
      expect(result.responses[0]!.request?.reference).toBe(`Claim/${result.claimId}`);
    });
  });

  it('reports the insurer refusing a member whose coverage ended as an error outcome', async () => {
    const result = await submitAndWait(claimBundle(undefined, { member: 'M0950' }));
    expect(processingStatus(result.claim)).toBe('error');
    expect(result.responses[0]!.outcome).toBe('error');
  });

  it('answers a resubmitted claim identifier with the original answer and delivers it once', async () => {
    const bundle = claimBundle();
    const first = await submitAndWait(bundle);
    const again = await gw.submit(bundle);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.answer.body);
    expect(again.headers.get('location')).toBe(first.answer.headers.get('location'));
    const stats = await gw.sandbox('/_control/stats');
    expect((stats.body.received as Record<string, number>)[first.claimId]).toBe(1);
  });

  it('retries an insurer that answers 503, then records the adjudication once', async () => {
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', status: 503, count: 2 }) });
    const result = await submitAndWait(claimBundle());
    expect(processingStatus(result.claim)).toBe('complete');
    const stats = await gw.sandbox('/_control/stats');
    expect(stats.body.faultsServed).toBe(2);
    expect((stats.body.adjudicated as Record<string, number>)[result.claimId]).toBe(1);
    const history = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [result.claimId]);
    expect(history.rows.map((r) => r.status)).toEqual(['accepted', 'queued', 'delivery-retry', 'delivery-retry', 'complete']);
  });

  it('honours the Retry-After of an insurer answering 429 before trying again', async () => {
    await fault({ insurer: 'demo-insurer', status: 429, count: 1 }); // the sandbox sends Retry-After: 1
    const result = await submitAndWait(claimBundle());
    expect(processingStatus(result.claim)).toBe('complete');
    const times = await gw.passerelle.db.query<{ status: string; at: Date }>('select status, at from claim_events where claim_id = $1 order by id', [result.claimId]);
    const failed = times.rows.find((r) => r.status === 'delivery-retry')!.at.getTime();
    const done = times.rows.find((r) => r.status === 'complete')!.at.getTime();
    expect(done - failed).toBeGreaterThanOrEqual(950); // the base backoff in this suite is 50 ms
  });

  it('times out an insurer that hangs, then retries and records the answer', async () => {
    await fault({ insurer: 'demo-insurer', status: 503, count: 1, hangMs: 3000 });
    const result = await submitAndWait(claimBundle());
    expect(processingStatus(result.claim)).toBe('complete');
    const events = await gw.passerelle.db.query<{ status: string; detail: { error?: string } | null }>('select status, detail from claim_events where claim_id = $1 order by id', [result.claimId]);
    expect(events.rows.find((r) => r.status === 'delivery-retry')?.detail?.error).toMatch(/timed out/);
  });

  it('makes an insurer 4xx final: a ClaimResponse with outcome error carrying the insurer OperationOutcome', async () => {
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', status: 422, count: 1 }) });
    const result = await submitAndWait(claimBundle());
    expect(processingStatus(result.claim)).toBe('error');
    const response = result.responses[0]!;
    expect(response.outcome).toBe('error');
    expect(response.error?.[0]?.code.coding?.[0]?.code).toBe('insurer-refused');
    const contained = response.contained?.[0] as OperationOutcome;
    expect(contained.resourceType).toBe('OperationOutcome');
    const stats = await gw.sandbox('/_control/stats');
    expect(stats.body.faultsServed).toBe(1); // not retried
  });

  it('follows a pended claim until the insurer posts its answer later', async () => {
    const bundle = claimBundle('claim-bundle-above-pend-threshold');
    const answer = await gw.submit(bundle);
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    await gw.waitForStatus(claimId, ['pended', 'complete']);
    const claim = await gw.waitForStatus(claimId, ['complete']);
    expect(processingStatus(claim)).toBe('complete');
    const responses = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body);
    expect(responses.map((r) => r.outcome)).toEqual(['queued', 'complete']);
    const history = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [claimId]);
    expect(history.rows.map((r) => r.status)).toContain('pended');
  });

  it('marks a claim failed (dead letter) with its last error when every attempt fails', async () => {
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-mutuelle', status: 500, count: 10 }) });
    const result = await submitAndWait(claimBundle(undefined, { insurer: 'demo-mutuelle' }));
    expect(processingStatus(result.claim)).toBe('failed');
    const row = await gw.passerelle.db.query<{ attempts: number; last_error: string }>('select attempts, last_error from claims where id = $1', [result.claimId]);
    expect(row.rows[0]).toEqual({ attempts: 4, last_error: 'insurer answered HTTP 500' });
  });

  it('serves a claim and each response by id to its provider', async () => {
    const result = await submitAndWait(claimBundle());
    const byId = await gw.get(`/fhir/ClaimResponse/${result.responses[0]!.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(result.responses[0]);
    const claim = await gw.get(`/fhir/Claim/${result.claimId}`);
    expect(claim.body).toMatchObject({ resourceType: 'Claim', id: result.claimId });
  });
});
