/**
 * Endpoint-wide polling for providers that cannot receive callbacks: every answer waiting for the
 * provider, oldest first, a page at a time, given again until acknowledged; nothing of another
 * provider's; never an insurer's own answers in its mailbox.
 */
import type { Bundle, ClaimResponse } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function poll(count: number, clientId = 'demo-hospital') {
  return gw.get(`/fhir/$poll?_count=${count}`, clientId);
}

async function ack(ids: string[], clientId = 'demo-hospital') {
  const token = await gw.token(clientId);
  const body = { resourceType: 'Parameters', parameter: ids.map((id) => ({ name: 'message', valueReference: { reference: `ClaimResponse/${id}` } })) };
  const res = await fetch(`${gw.url}/fhir/$poll-ack`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const responsesOf = (answer: { body: Record<string, unknown> }) => ((answer.body as unknown as Bundle).entry ?? []).map((e) => e.resource as ClaimResponse & { id: string });

describe('provider polling', () => {
  it('gives each answer waiting, oldest first, until it is acknowledged, and nothing of another provider', async () => {
    const claims: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = claimIdOf(await gw.submit(claimBundle('claim-bundle-covered-member', { provider: 'demo-hospital' }), 'demo-hospital'));
      claims.push(id);
      await gw.waitForStatus(id, ['complete'], 'demo-hospital');
    }
    const other = claimIdOf(await gw.submit(claimBundle()));
    await gw.waitForStatus(other, ['complete']);

    const first = await poll(2);
    expect(first.status).toBe(200);
    expect((first.body as unknown as Bundle).total).toBe(3);
    const page = responsesOf(first);
    expect(page.map((r) => r.request?.reference)).toEqual(claims.slice(0, 2).map((id) => `Claim/${id}`));
    expect(page.every((r) => r.outcome === 'complete')).toBe(true);
    expect(responsesOf(await poll(2)).map((r) => r.id)).toEqual(page.map((r) => r.id)); // not acknowledged: given again

    const acked = await ack(page.map((r) => r.id));
    expect(acked.body).toMatchObject({ resourceType: 'Parameters', parameter: [{ name: 'acknowledged', valueInteger: 2 }] });
    const rest = await poll(2);
    expect((rest.body as unknown as Bundle).total).toBe(1);
    expect(responsesOf(rest).map((r) => r.request?.reference)).toEqual([`Claim/${claims[2]}`]);
    // Acknowledging another provider's answer changes nothing for it.
    const theirs = responsesOf(await poll(10, 'demo-clinic')).map((r) => r.id);
    expect(theirs.length).toBeGreaterThan(0);
    expect((await ack(theirs)).body).toMatchObject({ parameter: [{ valueInteger: 0 }] });
    expect(responsesOf(await poll(10, 'demo-clinic')).map((r) => r.id)).toEqual(theirs);
  }, 40_000);

  it('refuses malformed polls and acknowledgements, and operators', async () => {
    expectOutcome(await poll(0), 400, 'search-parameter');
    expectOutcome(await ack(['not an id']), 422, 'poll-ack-invalid');
    // An insurer's mailbox holds providers' messages (information-requests.test.ts), never the answers it gave.
    expect((await gw.get('/fhir/$poll', 'demo-insurer')).body).toMatchObject({ resourceType: 'Bundle', total: 0 });
    expectOutcome(await gw.get('/fhir/$poll', 'demo-operator'), 403, 'insufficient-scope');
  });
});
