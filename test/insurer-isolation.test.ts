/**
 * One insurer down does not delay the others (a queue and workers per insurer), and is not hammered:
 * after a few failures its circuit opens, its claims wait without using their attempts, and they are
 * delivered once it answers again.
 */
import { eventually, claimBundle, processingStatus, startTestGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ env: { CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_COOLDOWN_MS: '2000', DELIVERY_ATTEMPTS: '5', DELIVERY_BACKOFF_MS: '50' } });
});
afterAll(async () => {
  await gw?.stop();
});

async function submit(insurer: string): Promise<string> {
  const answer = await gw.submit(claimBundle(undefined, { insurer }));
  expect(answer.status).toBe(202);
  return answer.headers.get('location')!.split('/Claim/')[1]!;
}

describe('insurer isolation', () => {
  it('keeps delivering to a healthy insurer while another is down, and opens the circuit of the one down', async () => {
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-mutuelle', status: 503, count: 10_000 }) });
    const down = await Promise.all(Array.from({ length: 8 }, () => submit('demo-mutuelle')));
    const healthy = await Promise.all(Array.from({ length: 4 }, () => submit('demo-insurer')));
    await Promise.all(healthy.map((id) => gw.waitForStatus(id, ['complete'])));

    // An outage of 2.5 s: without a circuit, each of the 8 claims would use its 5 attempts (50 ms backoff)
    // and all would be dead letters; with it, the insurer sees about one wave and the claims wait.
    await new Promise((r) => setTimeout(r, 2500));
    const during = (await gw.sandbox('/_control/stats')).body as { faultsServed: number };
    expect(during.faultsServed).toBeLessThanOrEqual(8 + 3);
    for (const id of down) expect(processingStatus((await gw.get(`/fhir/Claim/${id}`)).body as never)).toBe('queued');

    await gw.sandbox('/_control/faults', { method: 'DELETE' });
    await eventually(async () => {
      for (const id of down) expect(processingStatus((await gw.get(`/fhir/Claim/${id}`)).body as never)).toBe('complete');
    }, 30_000);
    const attempts = await gw.passerelle.db.query<{ max: number }>('select max(attempts)::int as max from claims where id = any($1)', [down]);
    expect(attempts.rows[0]!.max).toBeLessThan(5);
  }, 60_000);
});
