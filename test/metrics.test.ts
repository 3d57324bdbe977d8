/**
 * GET /metrics reports the reliability signals operators alert on: claims by status, stuck claims, dead
 * letters, the outbox backlog and queue depth per insurer, in the Prometheus text format.
 */
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ env: { DELIVERY_ATTEMPTS: '1', ANSWER_DEADLINE_MS: '300', CLAIM_WATCH_INTERVAL_MS: '100', PENDED_POLL_AFTER_MS: '600000' } });
});
afterAll(async () => {
  await gw?.stop();
});

async function metrics(): Promise<string> {
  const res = await fetch(`${gw.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

async function claim(insurer: string, fixture?: string): Promise<string> {
  const answer = await gw.submit(claimBundle(fixture, { insurer }));
  return answer.headers.get('location')!.split('/Claim/')[1]!;
}

describe('/metrics', () => {
  it('counts claims by status, stuck claims, dead letters and queue depth', async () => {
    await gw.waitForStatus(await claim('demo-insurer'), ['complete']);
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-mutuelle', status: 500, count: 1 }) });
    await gw.waitForStatus(await claim('demo-mutuelle'), ['failed']);
    await gw.sandbox('/_control/pended-posting', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: false }) });
    await gw.waitForStatus(await claim('demo-insurer', 'claim-bundle-above-pend-threshold'), ['pended']);

    const text = await eventually(async () => {
      const body = await metrics();
      expect(body).toMatch(/^passerelle_claims_stuck\{insurer="demo-insurer"\} 1$/m);
      return body;
    });
    expect(text).toMatch(/^passerelle_claims\{status="complete"\} 1$/m);
    expect(text).toMatch(/^passerelle_claims\{status="failed"\} 1$/m);
    expect(text).toMatch(/^passerelle_claims\{status="pended"\} 1$/m);
    expect(text).toMatch(/^passerelle_dead_letters\{insurer="demo-mutuelle"\} 1$/m);
    expect(text).toMatch(/^passerelle_outbox_pending 0$/m);
    expect(text).toMatch(/^passerelle_queue_jobs\{queue="delivery-demo-mutuelle",state="failed"\} 1$/m);
    expect(text).toMatch(/^passerelle_queue_jobs\{queue="provider-callbacks",state="waiting"\} 0$/m);
    expect(text).toMatch(/^passerelle_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^passerelle_http_request_duration_seconds_count\{method="POST",route="\/fhir\/Claim\/\$submit",status="202"\} 3$/m);
    expect(text).toMatch(/^passerelle_http_request_duration_seconds_count\{method="GET",route="\/fhir\/Claim\/:id",status="200"\} \d+$/m);
    expect(text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}/); // patterns, not ids
    expect(text).not.toMatch(/M0001|Diop/); // counts only
    // Per insurer: how long its delivery jobs took, and how long its answers took from acceptance.
    expect(Number(/^passerelle_delivery_job_seconds\{insurer="demo-insurer",quantile="0.5"\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^passerelle_delivery_job_seconds\{insurer="demo-insurer",quantile="0.99"\} \S+$/m);
    expect(Number(/^passerelle_insurer_answer_seconds\{insurer="demo-insurer",quantile="0.99"\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  }, 30_000);

  it('counts the validation errors of submissions by rule id, not those of $validate', async () => {
    const bogus = JSON.stringify(claimBundle()).replace('"status":"active"', '"status":"bogus"');
    expect((await gw.submit(bogus)).status).toBe(422);
    const count = async () => Number(/^passerelle_validation_failures_total\{rule="fhir-binding-required"\} (\d+)$/m.exec(await metrics())?.[1] ?? 0);
    const after = await count();
    expect(after).toBeGreaterThanOrEqual(1);
    const trial = await fetch(`${gw.url}/fhir/$validate`, { method: 'POST', body: bogus, headers: { Authorization: `Bearer ${await gw.token('demo-clinic')}`, 'Content-Type': 'application/fhir+json' } });
    expect(trial.status).toBe(200);
    expect(await count()).toBe(after);
  });
});
