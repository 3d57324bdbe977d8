/**
 * Information requests through the gateway: the sandbox insurer holds a large claim without its medical
 * report and asks for it (CommunicationRequest); the provider finds the request by polling and by the
 * claim, answers with a Communication carrying the report; the gateway sends it to the insurer through
 * its adapter, and the claim is adjudicated. Nothing of it is visible to another provider or insurer,
 * and malformed or misdirected messages are refused with a coded outcome.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bundle, Claim, Communication, CommunicationRequest, Resource } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, eventually, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const entriesOf = <T extends Resource>(answer: { body: Record<string, unknown> }) => ((answer.body as unknown as Bundle).entry ?? []).map((e) => e.resource as T & { id: string });

const REPORT_PDF = Buffer.from('%PDF-1.4 compte rendu opératoire (test)').toString('base64');

function report(claimId: string, requestId?: string): Communication {
  return {
    resourceType: 'Communication',
    status: 'completed',
    ...(requestId ? { basedOn: [{ reference: `CommunicationRequest/${requestId}` }] } : {}),
    about: [{ reference: `Claim/${claimId}` }],
    sent: new Date().toISOString(),
    payload: [
      { contentString: 'Compte rendu joint / report attached' },
      { contentAttachment: { contentType: 'application/pdf', data: REPORT_PDF, title: 'compte-rendu.pdf' } },
    ],
  };
}

/** Submits a claim the sandbox holds for its medical report, and waits for the gateway to have the request. */
async function claimAwaitingReport(clientId = 'demo-clinic'): Promise<{ claimId: string; request: CommunicationRequest & { id: string } }> {
  const claimId = claimIdOf(await gw.submit(claimBundle('claim-bundle-needs-report', clientId === 'demo-clinic' ? {} : { provider: clientId }), clientId));
  const request = await eventually(async () => {
    const found = entriesOf<CommunicationRequest>(await gw.get(`/fhir/CommunicationRequest?claim=Claim/${claimId}`, clientId));
    expect(found).toHaveLength(1);
    return found[0]!;
  }, 15_000);
  return { claimId, request };
}

describe('information requests', () => {
  it('carries the request to the provider and its report to the insurer, and the claim is then adjudicated', async () => {
    const { claimId, request } = await claimAwaitingReport();
    expect(request).toMatchObject({
      status: 'active', about: [{ reference: `Claim/${claimId}` }],
      requester: { identifier: { value: 'demo-insurer' } }, recipient: [{ identifier: { value: 'demo-clinic' } }],
    });
    expect(request.payload?.[0]?.contentString).toMatch(/compte rendu médical/);
    // The claim stays pended while the report is missing, well past the sandbox's pend delay.
    await new Promise((r) => setTimeout(r, 1000));
    await gw.waitForStatus(claimId, ['pended']);

    // The provider finds the request by polling too, and reads it by id.
    const polled = await gw.get('/fhir/$poll?_count=50');
    expect(entriesOf(polled).map((r) => `${r.resourceType}/${r.id}`)).toContain(`CommunicationRequest/${request.id}`);
    expect((await gw.get(`/fhir/CommunicationRequest/${request.id}`)).body).toMatchObject({ id: request.id });

    const sent = await gw.post('/fhir/Communication', report(claimId, request.id), 'demo-clinic');
    expect(sent.status).toBe(201);
    const communication = sent.body as unknown as Communication & { id: string };
    expect(sent.headers.get('location')).toMatch(new RegExp(`/fhir/Communication/${communication.id}$`));
    expect(communication).toMatchObject({ sender: { identifier: { value: 'demo-clinic' } }, recipient: [{ identifier: { value: 'demo-insurer' } }] });
    // The request is named by the gateway's id and by the insurer's own identifier, so both ends know it.
    expect(communication.basedOn?.[0]).toMatchObject({ reference: `CommunicationRequest/${request.id}`, identifier: request.identifier?.[0] });

    await gw.waitForStatus(claimId, ['complete']);
    const atInsurer = entriesOf<Communication>(await gw.sandbox(`/demo-insurer/fhir/Communication?about=Claim/${claimId}`));
    expect(atInsurer).toHaveLength(1);
    expect(atInsurer[0]!.payload?.[1]?.contentAttachment?.data).toBe(REPORT_PDF);
    // Read back by the claim, by both parties; the history shows the whole conversation.
    expect(entriesOf(await gw.get(`/fhir/Communication?claim=Claim/${claimId}`)).map((c) => c.id)).toEqual([communication.id]);
    expect(entriesOf(await gw.get(`/fhir/Communication?claim=Claim/${claimId}`, 'demo-insurer')).map((c) => c.id)).toEqual([communication.id]);
    const history = await gw.get(`/admin/claims/${claimId}`, 'demo-operator');
    const events = (history.body.events as Array<{ status: string }>).map((e) => e.status);
    expect(events).toEqual(expect.arrayContaining(['information-requested', 'information-sent', 'exchange-sent', 'complete']));
  }, 40_000);

  it('takes the same Communication once, and acknowledging the request takes it out of the mailbox', async () => {
    const { claimId, request } = await claimAwaitingReport();
    const communication = report(claimId, request.id);
    const first = await gw.post('/fhir/Communication', communication, 'demo-clinic');
    const again = await gw.post('/fhir/Communication', communication, 'demo-clinic');
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);

    const ack = await gw.post('/fhir/$poll-ack', { resourceType: 'Parameters', parameter: [{ name: 'message', valueReference: { reference: `CommunicationRequest/${request.id}` } }] }, 'demo-clinic');
    expect(ack.body).toMatchObject({ parameter: [{ name: 'acknowledged', valueInteger: 1 }] });
    expect(entriesOf(await gw.get('/fhir/$poll?_count=500')).map((r) => r.id)).not.toContain(request.id);
    await gw.waitForStatus(claimId, ['complete']);
  }, 40_000);

  it('shows nothing to another provider or insurer, and lets none of them answer or ask', async () => {
    const { claimId, request } = await claimAwaitingReport();
    expectOutcome(await gw.get(`/fhir/CommunicationRequest/${request.id}`, 'demo-hospital'), 404, 'not-found');
    expect(entriesOf(await gw.get(`/fhir/CommunicationRequest?claim=Claim/${claimId}`, 'demo-hospital'))).toEqual([]);
    expect(entriesOf(await gw.get('/fhir/$poll?_count=500', 'demo-hospital')).map((r) => r.id)).not.toContain(request.id);
    // Another provider answering the request, or writing about the claim: the same refusals as for no request or claim at all.
    expectOutcome(await gw.post('/fhir/Communication', report(claimId, request.id), 'demo-hospital'), 422, 'exchange-reference-unknown');
    expectOutcome(await gw.post('/fhir/Communication', report(claimId), 'demo-hospital'), 422, 'exchange-claim-unknown');
    // Another insurer asking about the claim.
    const asking: CommunicationRequest = { resourceType: 'CommunicationRequest', status: 'active', about: [{ reference: `Claim/${claimId}` }], payload: [{ contentString: 'x' }] };
    expectOutcome(await gw.post('/fhir/CommunicationRequest', asking, 'demo-mutuelle'), 422, 'exchange-claim-unknown');
    expectOutcome(await gw.get(`/fhir/CommunicationRequest/${request.id}`, 'demo-mutuelle'), 404, 'not-found');
    // A provider cannot send an information request at all.
    expectOutcome(await gw.post('/fhir/CommunicationRequest', asking, 'demo-clinic'), 403, 'insufficient-scope');
  }, 40_000);

  it('refuses malformed messages with a coded outcome', async () => {
    const { claimId } = await claimAwaitingReport();
    expectOutcome(await gw.post('/fhir/Communication', { ...report(claimId), about: [] }, 'demo-clinic'), 422, 'exchange-claim-unknown');
    expectOutcome(await gw.post('/fhir/Communication', { ...report(claimId), status: 'sideways' }, 'demo-clinic'), 422, 'validation');
    expectOutcome(await gw.post('/fhir/Communication', { ...report(claimId), resourceType: 'Claim' }, 'demo-clinic'), 422, 'resource-type');
    expectOutcome(await gw.post('/fhir/Communication', report(claimId, '00000000-0000-4000-8000-000000000000'), 'demo-clinic'), 422, 'exchange-reference-unknown');
    expectOutcome(await gw.get('/fhir/Communication'), 400, 'search-parameter');
  }, 40_000);

  it('retries a report the insurer cannot take yet, and records a final refusal, the report staying in its mailbox', async () => {
    const { claimId, request } = await claimAwaitingReport();
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', operation: 'Communication', status: 503, count: 2 }) });
    expect((await gw.post('/fhir/Communication', report(claimId, request.id), 'demo-clinic')).status).toBe(201);
    await gw.waitForStatus(claimId, ['complete']);
    const retried = ((await gw.get(`/admin/claims/${claimId}`, 'demo-operator')).body.events as Array<{ status: string }>).map((e) => e.status);
    expect(retried.filter((s) => s === 'exchange-send-retry')).toHaveLength(2);

    const held = await claimAwaitingReport();
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', operation: 'Communication', status: 422 }) });
    const refused = await gw.post('/fhir/Communication', report(held.claimId, held.request.id), 'demo-clinic');
    expect(refused.status).toBe(201);
    await eventually(async () => {
      const events = ((await gw.get(`/admin/claims/${held.claimId}`, 'demo-operator')).body.events as Array<{ status: string; detail?: { error?: string } }>);
      expect(events.find((e) => e.status === 'exchange-send-failed')?.detail?.error).toMatch(/HTTP 422/);
    });
    expect(entriesOf(await gw.get('/fhir/$poll?_count=500', 'demo-insurer')).map((r) => r.id)).toContain(refused.body.id);
    await gw.waitForStatus(held.claimId, ['pended']);
  }, 60_000);

  it('leaves the report in the mailbox of an insurer its adapter cannot push to, until it acknowledges it', async () => {
    // openIMIS claim codes are at most 8 characters, typed Code.
    const bundle = JSON.parse(readFileSync(new URL('./fixtures/claim-bundle-openimis.json', import.meta.url), 'utf8').replaceAll('TODAY', new Date().toISOString().slice(0, 10))) as Bundle;
    (bundle.entry![0]!.resource as Claim).identifier![0]!.value = `P${randomBytes(4).toString('hex').slice(0, 7).toUpperCase()}`;
    const submitted = await gw.submit(bundle);
    const claimId = claimIdOf(submitted);
    const sent = await gw.post('/fhir/Communication', report(claimId), 'demo-clinic');
    expect(sent.status).toBe(201);
    const id = sent.body.id as string;
    const mailbox = await gw.get('/fhir/$poll?_count=500', 'demo-openimis');
    expect(mailbox.status).toBe(200);
    expect(entriesOf(mailbox).map((r) => `${r.resourceType}/${r.id}`)).toEqual([`Communication/${id}`]);
    const ack = await gw.post('/fhir/$poll-ack', { resourceType: 'Parameters', parameter: [{ name: 'message', valueReference: { reference: `Communication/${id}` } }] }, 'demo-openimis');
    expect(ack.body).toMatchObject({ parameter: [{ valueInteger: 1 }] });
    expect((await gw.get('/fhir/$poll', 'demo-openimis')).body).toMatchObject({ total: 0 });
    // The provider's own mailbox never holds what it sent.
    expect(entriesOf(await gw.get('/fhir/$poll?_count=500')).map((r) => r.id)).not.toContain(id);
  }, 40_000);
});
