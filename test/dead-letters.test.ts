/**
 * Dead letters: a claim whose every delivery attempt failed becomes "failed" with its last error, the
 * provider gets an error ClaimResponse, and operators list, inspect and replay it (API and CLI), one by
 * one or in bulk, with the same idempotency key at the insurer.
 */
import type { ClaimResponse } from '@medplum/fhirtypes';
import { listDeadLetters, replayDeadLetters, showClaim, type OperatorConnection } from '../gateway/operations/cli.js';
import { claimBundle, insurerResponses, processingStatus, startTestGateway, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
let operator: OperatorConnection;
beforeAll(async () => {
  gw = await startTestGateway({ env: { DELIVERY_ATTEMPTS: '2' } });
  operator = { url: gw.url, clientId: 'demo-operator', clientSecret: 'demo-operator-secret' };
});
afterAll(async () => {
  await gw?.stop();
});
beforeEach(async () => {
  await gw.sandbox('/_control/reset', { method: 'POST' });
});

async function fault(insurer: string, count: number): Promise<void> {
  await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer, status: 500, count }) });
}

async function deadLetter(insurer = 'demo-insurer'): Promise<string> {
  await fault(insurer, 2);
  const answer = await gw.submit(claimBundle(undefined, { insurer }));
  const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
  await gw.waitForStatus(claimId, ['failed']);
  return claimId;
}

function admin(path: string, init: RequestInit = {}, clientId = 'demo-operator') {
  return gw.token(clientId).then((token) => fetch(`${gw.url}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } }));
}

describe('dead letters', () => {
  it('tells the provider, by status and by an error ClaimResponse, that delivery failed', async () => {
    const claimId = await deadLetter();
    const responses = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body) as ClaimResponse[];
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ outcome: 'error', error: [{ code: { coding: [{ code: 'delivery-failed' }] } }] });
    expect(responses[0]!.disposition).toMatch(/after 2 attempts.*insurer answered HTTP 500/);
  });

  it('lets operators list and inspect dead letters, and nobody else', async () => {
    const claimId = await deadLetter();
    const list = (await (await admin('/admin/dead-letters?_count=100')).json()) as { total: number; claims: Array<{ id: string; lastError: string; attempts: number }> };
    expect(list.claims.find((c) => c.id === claimId)).toMatchObject({ lastError: 'insurer answered HTTP 500', attempts: 2 });
    const detail = (await (await admin(`/admin/claims/${claimId}`)).json()) as { status: string; events: Array<{ status: string }>; responses: unknown[] };
    expect(detail.status).toBe('failed');
    expect(detail.events.map((e) => e.status)).toEqual(['accepted', 'queued', 'delivery-retry', 'failed']);
    const asProvider = await admin('/admin/dead-letters', {}, 'demo-clinic');
    expectOutcome({ status: asProvider.status, headers: asProvider.headers, body: (await asProvider.json()) as Record<string, unknown> }, 403, 'insufficient-scope');
    const operatorOnFhir = await gw.get(`/fhir/Claim/${claimId}`, 'demo-operator');
    expect(operatorOnFhir.status).toBe(403);
  });

  it('replays one dead letter with the same idempotency key: delivered once, complete', async () => {
    const claimId = await deadLetter();
    const replay = await admin(`/admin/claims/${claimId}/replay`, { method: 'POST' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ id: claimId, status: 'queued', replays: 1 });
    const claim = await gw.waitForStatus(claimId, ['complete']);
    expect(processingStatus(claim)).toBe('complete');
    const stats = (await gw.sandbox('/_control/stats')).body as { received: Record<string, number>; adjudicated: Record<string, number> };
    expect(stats.received[claimId]).toBe(3); // two failed attempts, then the replay, all under the claim id
    expect(stats.adjudicated[claimId]).toBe(1);
    const again = await admin(`/admin/claims/${claimId}/replay`, { method: 'POST' });
    expectOutcome({ status: again.status, headers: again.headers, body: (await again.json()) as Record<string, unknown> }, 409, 'not-dead-letter');
    expect((await admin('/admin/claims/00000000-0000-4000-8000-000000000000/replay', { method: 'POST' })).status).toBe(404);
  });

  it('replays in bulk, by insurer, from the CLI, and a claim can fail and be replayed again', async () => {
    const [m1, m2, other] = [await deadLetter('demo-mutuelle'), await deadLetter('demo-mutuelle'), await deadLetter('demo-insurer')];
    const lines: string[] = [];
    await listDeadLetters(operator, { insurer: 'demo-mutuelle' }, (l) => lines.push(l));
    expect(lines.filter((l) => l.includes(m1) || l.includes(m2))).toHaveLength(2);
    const french: string[] = [];
    await listDeadLetters(operator, { insurer: 'demo-mutuelle' }, (l) => french.push(l), 'fr');
    expect([french[0]!.split('\t')[0], french.at(-1)]).toEqual(['demande', '2 lettre(s) morte(s)']);
    expect(lines.some((l) => l.includes(other))).toBe(false);
    await fault('demo-mutuelle', 2); // replayed alone, m1 fails again
    expect(await replayDeadLetters(operator, [m1], {}, (l) => lines.push(l))).toBe(0);
    await gw.waitForStatus(m1, ['failed']);
    expect(await replayDeadLetters(operator, [], { all: true, insurer: 'demo-mutuelle' }, (l) => lines.push(l))).toBe(0);
    expect(lines).toContain(`replayed ${m1} (demo-mutuelle, replay 2)`);
    expect(lines).toContain(`replayed ${m2} (demo-mutuelle, replay 1)`);
    await Promise.all([m1, m2].map((id) => gw.waitForStatus(id, ['complete'])));
    expect(processingStatus(await gw.waitForStatus(other, ['failed']))).toBe('failed'); // another insurer's: untouched
    expect(await replayDeadLetters(operator, [other], {}, () => undefined)).toBe(0);
    await gw.waitForStatus(other, ['complete']);
    const shown: string[] = [];
    await showClaim(operator, m1, (l) => shown.push(l));
    expect(shown.join('\n')).toMatch(/replayed.*"replay":1[\s\S]*failed[\s\S]*replayed.*"replay":2[\s\S]*complete/);
    const refused: string[] = [];
    expect(await replayDeadLetters(operator, [m1], {}, (l) => refused.push(l), 'fr')).toBe(1); // no longer a dead letter
    expect(refused).toContain(`non rejouée ${m1} : ce n'est pas une lettre morte`);
  });
});
