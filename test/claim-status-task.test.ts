/**
 * A provider's status Task: the claim's processing status and latest ClaimResponse, with the insurer
 * asked first when the claim waits for its answer (here a pended claim whose later answer the sandbox
 * keeps instead of posting it: only the Task's question brings it); strangers learn nothing; task codes
 * the gateway does not carry are refused with a coded outcome.
 */
import type { Task } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, eventually, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  // Claim watch polling far away: only the Task may ask the insurer.
  gw = await startTestGateway({ env: { PENDED_POLL_AFTER_MS: '3600000' } });
});
afterAll(async () => {
  await gw?.stop();
});

const FINANCIAL_TASK = 'http://hl7.org/fhir/CodeSystem/financialtaskcode';

function ask(claimId: string, code = 'status', clientId = 'demo-clinic') {
  const task = { resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK, code }] }, focus: { reference: `Claim/${claimId}` } };
  return gwPost(task, clientId);
}

async function gwPost(task: unknown, clientId: string) {
  const token = await gw.token(clientId);
  const res = await fetch(`${gw.url}/fhir/Task`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${token}` }, body: JSON.stringify(task) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> };
}

describe('status Task', () => {
  it('answers with the claim\'s status and its latest ClaimResponse', async () => {
    const claimId = claimIdOf(await gw.submit(claimBundle()));
    await gw.waitForStatus(claimId, ['complete']);
    const answer = await ask(claimId);
    expect(answer.status).toBe(200);
    const task = answer.body as unknown as Task;
    expect(task).toMatchObject({ resourceType: 'Task', status: 'completed', focus: { reference: `Claim/${claimId}` }, businessStatus: { coding: [{ code: 'complete' }] } });
    const latest = task.output?.[0]?.valueReference?.reference;
    const read = await gw.get(`/fhir/${latest}`);
    expect(read.body).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete', request: { reference: `Claim/${claimId}` } });
  });

  it('asks the insurer about a pended claim, so the answer it kept is the status', async () => {
    expect((await gw.sandbox('/_control/pended-posting', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled: false }) })).status).toBe(200);
    const claimId = claimIdOf(await gw.submit(claimBundle('claim-bundle-above-pend-threshold')));
    await gw.waitForStatus(claimId, ['pended']);
    // The sandbox decides after SANDBOX_PEND_DELAY_MS and keeps the answer: each Task asks it again.
    await eventually(async () => expect(((await ask(claimId)).body as unknown as Task).businessStatus?.coding?.[0]?.code).toBe('complete'));
    const stats = (await gw.sandbox('/_control/stats')).body as { pendedAnswersPosted: number };
    expect(stats.pendedAnswersPosted).toBe(0);
  });

  it('tells a stranger nothing, and refuses tasks the gateway does not carry', async () => {
    const claimId = claimIdOf(await gw.submit(claimBundle()));
    expectOutcome(await ask(claimId, 'status', 'demo-hospital'), 404, 'not-found');
    const reprocess = expectOutcome(await ask(claimId, 'reprocess'), 422, 'task-unsupported');
    expect(reprocess[0]!.expression).toEqual(['Task.code']);
    expectOutcome(await gwPost({ resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK, code: 'status' }] }, focus: { reference: 'Coverage/x' } }, 'demo-clinic'), 422, 'task-unsupported');
    expectOutcome(await ask(claimId, 'status', 'demo-insurer'), 403, 'insufficient-scope');
  });
});
