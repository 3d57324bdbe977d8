/**
 * FHIR messaging: the claim's conversation as message Bundles on POST /fhir/$process-message, each
 * event running the same interaction as its REST call and answered by a response message pointing at
 * the request (MessageHeader.response.identifier). Final answers come back by poll-request messages,
 * acknowledged in the next poll. A message is processed once, whatever the number of sends. Envelope
 * errors are 4xx OperationOutcomes; interaction errors are response messages of code fatal-error.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bundle, BundleEntry, ClaimResponse, CoverageEligibilityResponse, MessageHeader, OperationOutcome, Resource, Task } from '@medplum/fhirtypes';
import { MESSAGE_EVENT_SYSTEM, NPHIES_MESSAGE_EVENT_SYSTEM } from '../gateway/messaging/message-events.js';
import { FINANCIAL_TASK_SYSTEM } from '../gateway/claims/claim-tasks.js';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

/** A message: its MessageHeader for the event, focused on the first entry given, then the entries. */
function message(event: string, entries: BundleEntry[], options: { system?: string; id?: string; to?: string } = {}): Bundle & { id: string } {
  const header: MessageHeader = {
    resourceType: 'MessageHeader', id: randomUUID(),
    eventCoding: { system: options.system ?? MESSAGE_EVENT_SYSTEM, code: event },
    source: { endpoint: 'https://his.clinique-demo.sn/fhir' },
    destination: [{ endpoint: 'https://passerelle.example/fhir', receiver: { identifier: { system: 'urn:passerelle:participant', value: options.to ?? 'demo-insurer' } } }],
    focus: [{ reference: entries[0]!.fullUrl! }],
  };
  return { resourceType: 'Bundle', id: options.id ?? randomUUID(), type: 'message', timestamp: new Date().toISOString(), entry: [{ fullUrl: `urn:uuid:${header.id}`, resource: header }, ...entries] };
}

const entry = (resource: Resource): BundleEntry => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource });

const send = (body: unknown, clientId = 'demo-clinic') => gw.post('/fhir/$process-message', body, clientId);

/** The response message's header and resources. */
function read(answer: { status: number; body: Record<string, unknown> }) {
  expect(answer.status).toBe(200);
  const bundle = answer.body as unknown as Bundle;
  expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'message' });
  const header = bundle.entry![0]!.resource as MessageHeader;
  const focus = bundle.entry!.find((e) => e.fullUrl === header.focus?.[0]?.reference)?.resource;
  return { header, focus, resources: bundle.entry!.slice(1).map((e) => e.resource!) };
}

function pollTask(acknowledge: string[] = [], count = 50): Task {
  return {
    resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK_SYSTEM, code: 'poll' }] },
    input: [{ type: { text: 'count' }, valuePositiveInt: count }, ...acknowledge.map((reference) => ({ type: { text: 'acknowledge' }, valueReference: { reference } }))],
  };
}

describe('FHIR messaging', () => {
  it('carries a claim-request, answers with the queued ClaimResponse, and gives the final one to a poll-request until acknowledged', async () => {
    const request = message('claim-request', claimBundle().entry!);
    const answer = read(await send(request));
    const requestHeader = request.entry![0]!.resource as MessageHeader & { id: string };
    expect(answer.header).toMatchObject({
      eventCoding: { system: MESSAGE_EVENT_SYSTEM, code: 'claim-response' }, response: { identifier: requestHeader.id, code: 'ok' },
      destination: [{ endpoint: 'https://his.clinique-demo.sn/fhir', receiver: { identifier: { value: 'demo-clinic' } } }],
    });
    const queued = answer.focus as ClaimResponse;
    expect(queued).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'queued' });
    const claimId = queued.request!.reference!.split('/')[1]!;
    await gw.waitForStatus(claimId, ['complete']);

    // Sent again (a lost answer): the same response message, and still one claim.
    const again = await send(request);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(read(again).focus).toEqual(queued);

    const polled = read(await send(message('poll-request', [entry(pollTask())])));
    expect(polled.header.eventCoding?.code).toBe('poll-response');
    const final = polled.resources.find((r): r is ClaimResponse & { id: string } => r.resourceType === 'ClaimResponse' && r.request?.reference === `Claim/${claimId}`);
    expect(final?.outcome).toBe('complete');
    expect((polled.focus as Task).output?.map((o) => o.valueReference?.reference)).toContain(`ClaimResponse/${final!.id}`);
    // Acknowledged in the next poll-request: no longer given.
    const next = read(await send(message('poll-request', [entry(pollTask([`ClaimResponse/${final!.id}`]))])));
    expect(next.resources.map((r) => r.id)).not.toContain(final!.id);
  }, 40_000);

  it('carries eligibility, status and cancel, with NPHIES event codes too', async () => {
    const question = JSON.parse(readFileSync(new URL('./fixtures/eligibility-request-covered-member.json', import.meta.url), 'utf8').replaceAll('TODAY', new Date().toISOString().slice(0, 10))) as Bundle;
    const eligibility = read(await send(message('eligibility-request', question.entry!, { system: NPHIES_MESSAGE_EVENT_SYSTEM })));
    expect(eligibility.header.eventCoding).toEqual({ system: NPHIES_MESSAGE_EVENT_SYSTEM, code: 'eligibility-response' });
    expect(eligibility.focus).toMatchObject({ resourceType: 'CoverageEligibilityResponse' });
    expect((eligibility.focus as CoverageEligibilityResponse).insurance?.[0]?.inforce).toBe(true);

    const queued = read(await send(message('claim-request', claimBundle().entry!))).focus as ClaimResponse;
    const claimId = queued.request!.reference!.split('/')[1]!;
    await gw.waitForStatus(claimId, ['complete']);
    const task = (code: string): Task => ({ resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK_SYSTEM, code }] }, focus: { reference: `Claim/${claimId}` } });
    const status = read(await send(message('status-check', [entry(task('status'))])));
    expect(status.focus).toMatchObject({ resourceType: 'Task', status: 'completed', businessStatus: { coding: [{ code: 'complete' }] } });
    // Too late to cancel: the message was processed, the interaction refused.
    const cancel = read(await send(message('cancel-request', [entry(task('cancel'))])));
    expect(cancel.header.response).toMatchObject({ code: 'fatal-error', details: { reference: cancel.header.focus![0]!.reference } });
    expect((cancel.focus as OperationOutcome).issue?.[0]?.details?.coding?.[0]?.code).toBe('cancel-too-late');
  }, 40_000);

  it("carries insurers' messages: an information request, a later answer, a payment", async () => {
    const queued = read(await send(message('claim-request', claimBundle().entry!))).focus as ClaimResponse;
    const claimId = queued.request!.reference!.split('/')[1]!;
    await gw.waitForStatus(claimId, ['complete']);
    const asked = read(await send(message('communication-request', [entry({
      resourceType: 'CommunicationRequest', status: 'active', about: [{ reference: `Claim/${claimId}` }], payload: [{ contentString: 'Ordonnance, svp' }],
    } as Resource)], { to: 'demo-clinic' }), 'demo-insurer'));
    expect(asked.header.eventCoding?.code).toBe('acknowledgement');
    expect(asked.focus).toMatchObject({ resourceType: 'CommunicationRequest', recipient: [{ identifier: { value: 'demo-clinic' } }] });

    const later = read(await send(message('claim-response', [entry({
      ...queued, id: undefined, outcome: 'complete', disposition: 'Révisé / revised', request: { reference: `Claim/${claimId}` },
    } as Resource)], { to: 'demo-clinic' }), 'demo-insurer'));
    expect(later.focus).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete', disposition: 'Révisé / revised' });

    const paid = read(await send(message('payment-reconciliation', [entry({
      resourceType: 'PaymentReconciliation', status: 'active', created: new Date().toISOString(), paymentDate: new Date().toISOString().slice(0, 10),
      paymentAmount: { value: 18_400, currency: 'XOF' }, detail: [{ type: { text: 'payment' }, request: { reference: `Claim/${claimId}` }, amount: { value: 18_400, currency: 'XOF' } }],
    } as Resource)], { to: 'demo-clinic' }), 'demo-insurer'));
    expect(paid.focus).toMatchObject({ resourceType: 'PaymentReconciliation', requestor: { identifier: { value: 'demo-clinic' } } });
    // All three reach the provider's mailbox.
    await eventually(async () => {
      const polled = read(await send(message('poll-request', [entry(pollTask([], 500))]))).resources.map((r) => `${r.resourceType}/${r.id}`);
      expect(polled).toEqual(expect.arrayContaining([`CommunicationRequest/${asked.focus!.id}`, `ClaimResponse/${later.focus!.id}`, `PaymentReconciliation/${paid.focus!.id}`]));
    });
  }, 40_000);

  it('refuses what is not a message with a 4xx, and answers a failed interaction with a fatal-error response', async () => {
    expectOutcome(await send(claimBundle()), 422, 'message-invalid');
    const { id: _id, ...withoutId } = message('claim-request', claimBundle().entry!);
    expectOutcome(await send(withoutId), 422, 'message-invalid');
    expectOutcome(await send(message('claim-dance', claimBundle().entry!)), 422, 'message-event-unsupported');
    const unfocused = message('claim-request', claimBundle().entry!);
    (unfocused.entry![0]!.resource as MessageHeader).focus = [{ reference: 'urn:uuid:nowhere' }];
    expectOutcome(await send(unfocused), 422, 'message-invalid');
    expectOutcome(await send(message('status-check', claimBundle().entry!)), 422, 'message-invalid');
    const preauth = claimBundle();
    (preauth.entry![0]!.resource as { use: string }).use = 'preauthorization';
    expectOutcome(await send(message('claim-request', preauth.entry!)), 422, 'message-invalid');
    expectOutcome(await send(message('communication-request', [entry({ resourceType: 'CommunicationRequest', status: 'active' } as Resource)])), 403, 'insufficient-scope');

    const invalid = claimBundle();
    (invalid.entry![0]!.resource as { status: string }).status = 'sideways';
    const failed = read(await send(message('claim-request', invalid.entry!)));
    expect(failed.header.response?.code).toBe('fatal-error');
    expect((failed.focus as OperationOutcome).issue?.some((i) => i.details?.coding?.[0]?.code === 'validation')).toBe(true);
    // Another provider's claim: the same answer as no claim at all.
    const queued = read(await send(message('claim-request', claimBundle().entry!))).focus as ClaimResponse;
    const foreign = read(await send(message('status-check', [entry({ resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK_SYSTEM, code: 'status' }] }, focus: queued.request } as Resource)]), 'demo-hospital'));
    expect((foreign.focus as OperationOutcome).issue?.[0]?.details?.coding?.[0]?.code).toBe('not-found');
  }, 40_000);

  it('carries prior authorisation, predetermination, a provider\'s Communication and a payment notice, and replays acknowledgements harmlessly', async () => {
    const preauth = claimBundle();
    (preauth.entry![0]!.resource as { use: string }).use = 'preauthorization';
    const asked = read(await send(message('priorauth-request', preauth.entry!)));
    expect(asked.header.eventCoding?.code).toBe('priorauth-response');
    const preauthId = (asked.focus as ClaimResponse).request!.reference!.split('/')[1]!;
    await gw.waitForStatus(preauthId, ['complete']);
    const granted = (await gw.get(`/fhir/ClaimResponse?request=Claim/${preauthId}`)).body as unknown as Bundle;
    expect((granted.entry!.at(-1)!.resource as ClaimResponse).preAuthRef).toMatch(/^PA-/);

    const estimate = claimBundle();
    (estimate.entry![0]!.resource as { use: string }).use = 'predetermination';
    const predetermined = read(await send(message('predetermination-request', estimate.entry!)));
    expect(predetermined.header.eventCoding?.code).toBe('predetermination-response');
    await gw.waitForStatus((predetermined.focus as ClaimResponse).request!.reference!.split('/')[1]!, ['complete']);

    const wrote = read(await send(message('communication', [entry({
      resourceType: 'Communication', status: 'completed', about: [{ reference: `Claim/${preauthId}` }], payload: [{ contentString: 'Séjour prévu le 3 / stay planned on the 3rd' }],
    } as Resource)])));
    expect(wrote.focus).toMatchObject({ resourceType: 'Communication', recipient: [{ identifier: { value: 'demo-insurer' } }] });
    await eventually(async () => {
      const atInsurer = (await gw.sandbox(`/demo-insurer/fhir/Communication?about=Claim/${preauthId}`)).body as unknown as Bundle;
      expect(atInsurer.total).toBe(1);
    });

    const paid = read(await send(message('payment-reconciliation', [entry({
      resourceType: 'PaymentReconciliation', status: 'active', created: new Date().toISOString(), paymentDate: new Date().toISOString().slice(0, 10),
      paymentAmount: { value: 1, currency: 'XOF' }, detail: [{ type: { text: 'payment' }, request: { reference: `Claim/${preauthId}` }, amount: { value: 1, currency: 'XOF' } }],
    } as Resource)]), 'demo-insurer')).focus!;
    const notice = read(await send(message('payment-notice', [entry({
      resourceType: 'PaymentNotice', status: 'active', created: new Date().toISOString(), payment: { reference: `PaymentReconciliation/${paid.id}` },
      recipient: { identifier: { system: 'urn:passerelle:participant', value: 'demo-clinic' } }, amount: { value: 1, currency: 'XOF' },
    } as Resource)]), 'demo-insurer'));
    expect(notice.focus).toMatchObject({ resourceType: 'PaymentNotice', payment: { reference: `PaymentReconciliation/${paid.id}` } });

    // Acknowledged once, then again: the second acknowledgement changes nothing, and nothing comes back.
    const ack = [`PaymentNotice/${notice.focus!.id}`];
    read(await send(message('poll-request', [entry(pollTask(ack))])));
    const again = read(await send(message('poll-request', [entry(pollTask(ack, 500))])));
    expect(again.resources.map((r) => r.id)).not.toContain(notice.focus!.id);
    expect(again.header.response?.code).toBe('ok');
  }, 60_000);

  it('carries a claim to two payers by message: the split reaches the provider by poll-request', async () => {
    const bundle = JSON.parse(readFileSync(new URL('../sandbox/fixtures/claim-bundle-two-payers.json', import.meta.url), 'utf8').replaceAll('2025-03-14', new Date().toISOString().slice(0, 10))) as Bundle;
    (bundle.entry![0]!.resource as { identifier: unknown[] }).identifier = [{ system: 'urn:demo-clinic:claim', value: randomUUID() }];
    const queued = read(await send(message('claim-request', bundle.entry!))).focus as ClaimResponse;
    const claimId = queued.request!.reference!.split('/')[1]!;
    const split = await eventually(async () => {
      const polled = read(await send(message('poll-request', [entry(pollTask([], 500))]))).resources;
      const found = polled.find((r): r is ClaimResponse => r.resourceType === 'ClaimResponse' && r.request?.reference === `Claim/${claimId}` && /settled/.test((r as ClaimResponse).disposition ?? ''));
      expect(found).toBeDefined();
      return found!;
    }, 20_000);
    const totals = Object.fromEntries((split.total ?? []).map((t) => [t.category.coding?.[0]?.code, t.amount.value]));
    expect(totals).toEqual({ submitted: 25_000, benefit: 22_500, copay: 2_500 });
  }, 40_000);
});
