/**
 * FHIR messaging (POST /fhir/$process-message), as NPHIES carries a claim's conversation: a message
 * Bundle whose MessageHeader names the event (message-events.ts), its source and destination, and its
 * focus, the resource the interaction is about, with what it references in the other entries. Each
 * event is the same interaction as its REST call, through the same services, with the same checks and
 * scopes; the answer is a response message whose MessageHeader.response.identifier is the request's
 * MessageHeader.id, focused on what the interaction answered (the final answer when it is ready, or
 * the "queued" one, the final following by push and by poll-request).
 *
 * A message that is not one (no message Bundle, no MessageHeader, an unknown event, a focus that is
 * missing or of the wrong kind) is refused with an OperationOutcome and a 4xx. A message the gateway
 * could process but whose interaction failed (an invalid claim, a cancellation too late) is answered
 * 200 with a response message of code fatal-error (transient-error when trying again may work) carrying
 * the OperationOutcome, as FHIR messaging has it. A message is processed once: its Bundle.id is its
 * idempotency key (per sender), so a message sent again gets the same response message.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, MessageHeader, OperationOutcome, Resource, Task } from '@medplum/fhirtypes';
import type { Caller } from '../auth/tokens.js';
import { receiveInsurerAnswer, type ClaimRoutesDeps } from '../claims/router.js';
import { readClaimTask, FINANCIAL_TASK_SYSTEM } from '../claims/claim-tasks.js';
import type { EligibilityService } from '../eligibility/eligibility-service.js';
import type { ExchangeService } from '../exchanges/exchange-service.js';
import type { Mailbox } from '../exchanges/mailbox.js';
import { gatewayError, localize, OperationOutcomeError } from '../fhir/outcomes.js';
import { typedReference } from '../fhir/references.js';
import type { FhirRequest } from '../http/fhir-handler.js';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';
import type { Language } from '../validation/rules.js';
import { isMessageEvent, MESSAGE_EVENT_SYSTEM, MESSAGE_EVENTS, NPHIES_MESSAGE_EVENT_SYSTEM, type MessageEvent, type MessageEventCode } from './message-events.js';

export interface MessagingDeps {
  /** The claim routes' dependencies: claims, and insurers' answers (with their signature check). */
  readonly claims: ClaimRoutesDeps;
  readonly eligibility: EligibilityService;
  readonly exchanges: ExchangeService;
  readonly mailbox: Mailbox;
}

/** A message read from a request: its header, event, focus entry and the other entries. */
interface ReadMessage {
  readonly bundle: Bundle & { id: string };
  readonly header: MessageHeader & { id?: string };
  readonly event: MessageEventCode;
  readonly spec: MessageEvent;
  readonly focus: BundleEntry & { resource: Resource };
  readonly others: BundleEntry[];
}

/** What an interaction answered: the response's focus, and other resources to include. */
interface Answered {
  readonly focus: Resource & { id?: string };
  readonly included?: ReadonlyArray<Resource & { id: string }>;
}

/** The idempotency key of a message: its Bundle.id (scoped to the sender by the idempotency store). */
export function messageKey(req: FhirRequest): string | undefined {
  const id = req.body.resourceType === 'Bundle' && req.body.type === 'message' ? req.body.id : undefined;
  return typeof id === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(id) ? `message:${id}` : undefined;
}

/** Processes one message; answers the response message. */
export async function processMessage(req: FhirRequest, deps: MessagingDeps, language: Language): Promise<Bundle> {
  const message = readMessage(req.body, req.caller);
  let answered: Answered;
  try {
    answered = await interact(message, req, deps, language);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError) || err.status >= 500 && err.status !== 503) throw err;
    const code = err.status === 503 || err.status === 429 ? 'transient-error' : 'fatal-error';
    return responseMessage(message, req, code, { focus: localize(err.outcome as OperationOutcome, language) });
  }
  return responseMessage(message, req, 'ok', answered);
}

function readMessage(body: Record<string, unknown>, caller: Caller): ReadMessage {
  if (body.resourceType !== 'Bundle' || body.type !== 'message') {
    throw gatewayError('message-invalid', { en: 'POST /fhir/$process-message takes a Bundle of type message, its first entry the MessageHeader', fr: 'POST /fhir/$process-message attend un Bundle de type message, dont la première entrée est le MessageHeader' }, 'Bundle.type');
  }
  const bundle = body as unknown as Bundle;
  if (typeof bundle.id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(bundle.id)) {
    throw gatewayError('message-invalid', { en: 'A message needs a Bundle.id (a FHIR id): it identifies the message, which is processed once', fr: "Un message doit avoir un Bundle.id (un id FHIR) : il identifie le message, qui n'est traité qu'une fois" }, 'Bundle.id');
  }
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const header = entries[0]?.resource as (MessageHeader & { id?: string }) | undefined;
  if (header?.resourceType !== 'MessageHeader') {
    throw gatewayError('message-invalid', { en: 'The first entry of a message is its MessageHeader', fr: "La première entrée d'un message doit être son MessageHeader" }, 'Bundle.entry[0].resource');
  }
  const coding = header.eventCoding;
  if (!coding || (coding.system !== MESSAGE_EVENT_SYSTEM && coding.system !== NPHIES_MESSAGE_EVENT_SYSTEM) || !isMessageEvent(coding.code)) {
    const known = Object.keys(MESSAGE_EVENTS).join(', ');
    throw gatewayError('message-event-unsupported', { en: `The gateway carries the message events ${known} (system ${MESSAGE_EVENT_SYSTEM}); ${coding?.code ? `"${String(coding.code).slice(0, 40)}" of ${String(coding.system ?? 'no system').slice(0, 80)} is not one` : 'this MessageHeader has no eventCoding'}`, fr: `La passerelle achemine les événements de message ${known} (système ${MESSAGE_EVENT_SYSTEM}) ; ${coding?.code ? `"${String(coding.code).slice(0, 40)}" de ${String(coding.system ?? 'aucun système').slice(0, 80)} n'en fait pas partie` : "ce MessageHeader n'a pas d'eventCoding"}` }, 'MessageHeader.eventCoding');
  }
  const event = coding.code;
  const spec: MessageEvent = MESSAGE_EVENTS[event];
  if (spec.sender !== 'participant' && caller.kind !== spec.sender) {
    throw gatewayError('insufficient-scope', { en: `The message event ${event} is sent by ${spec.sender === 'insurer' ? 'an insurer' : 'a provider'}`, fr: `L'événement de message ${event} est envoyé par ${spec.sender === 'insurer' ? 'un assureur (IPM, mutuelle...)' : 'un prestataire de soins'}` });
  }
  if (spec.sender === 'participant' && caller.kind !== 'provider' && caller.kind !== 'insurer') {
    throw gatewayError('insufficient-scope', { en: `The message event ${event} is sent by a provider or an insurer`, fr: `L'événement de message ${event} est envoyé par un prestataire de soins ou un assureur` });
  }
  if (spec.scope && !caller.scopes.has(spec.scope)) throw gatewayError('insufficient-scope', { en: `The message event ${event} needs the scope ${spec.scope}`, fr: `L'événement de message ${event} exige la portée (scope) ${spec.scope}` });
  const focusRef = header.focus?.[0]?.reference;
  const index = entries.findIndex((e, i) => i > 0 && e.resource && (e.fullUrl === focusRef || sameResource(focusRef, e.resource)));
  if (!focusRef || index < 0) {
    throw gatewayError('message-invalid', { en: 'MessageHeader.focus must reference an entry of the message (its fullUrl, or Type/id)', fr: 'MessageHeader.focus doit référencer une entrée du message (son fullUrl, ou Type/id)' }, 'MessageHeader.focus');
  }
  const focus = entries[index] as BundleEntry & { resource: Resource };
  if (focus.resource.resourceType !== spec.focus) {
    throw gatewayError('message-invalid', { en: `The focus of a ${event} message is a ${spec.focus}, not a ${focus.resource.resourceType}`, fr: `Le focus d'un message ${event} doit être de type ${spec.focus}, et non ${focus.resource.resourceType}` }, 'MessageHeader.focus');
  }
  const kind = spec.focus === 'Claim' ? ((focus.resource as { use?: string }).use ?? 'claim')
    : spec.focus === 'Task' ? (focus.resource as Task).code?.coding?.find((c) => c.system === FINANCIAL_TASK_SYSTEM)?.code : undefined;
  if (spec.kind && kind !== spec.kind) {
    const what = spec.focus === 'Claim' ? `Claim.use ${spec.kind}` : `a Task of code ${spec.kind} (${FINANCIAL_TASK_SYSTEM})`;
    const whatFr = spec.focus === 'Claim' ? `Claim.use ${spec.kind}` : `une Task de code ${spec.kind} (${FINANCIAL_TASK_SYSTEM})`;
    throw gatewayError('message-invalid', { en: `The focus of a ${event} message is ${what}, not ${kind ?? 'none'}`, fr: `Le focus d'un message ${event} doit être ${whatFr}, et non ${kind ?? 'aucun'}` }, 'MessageHeader.focus');
  }
  return { bundle: bundle as Bundle & { id: string }, header, event, spec, focus, others: entries.filter((_, i) => i > 0 && i !== index) };
}

function sameResource(reference: string | undefined, resource: Resource): boolean {
  const ref = typedReference(reference);
  return Boolean(ref && ref.type === resource.resourceType && ref.id === resource.id);
}

/** Runs the message's interaction through the service the REST call uses. */
async function interact(message: ReadMessage, req: FhirRequest, deps: MessagingDeps, language: Language): Promise<Answered> {
  const caller = req.caller;
  const focus = message.focus.resource as unknown as Record<string, unknown>;
  // The interaction's own Bundle: the focus first, then what it references, as a REST client sends it.
  const collection = { resourceType: 'Bundle', type: 'collection', entry: [message.focus, ...message.others] } as unknown as Record<string, unknown>;
  switch (message.event) {
    case 'eligibility-request':
      return { focus: (await deps.eligibility.submit(collection, caller, language)).response };
    case 'claim-request':
    case 'priorauth-request':
    case 'predetermination-request':
      return { focus: (await deps.claims.service.submit(collection, caller, language)).claimResponse };
    case 'status-check':
      return { focus: await deps.claims.service.claimStatus(readClaimTask(focus), caller) };
    case 'cancel-request':
      return { focus: await deps.claims.service.cancelClaim(readClaimTask(focus), caller) };
    case 'poll-request':
      return poll(focus as unknown as Task, caller, deps.mailbox);
    case 'claim-response':
      return { focus: (await receiveInsurerAnswer(deps.claims, req, focus)).record.resource };
    case 'communication':
    case 'communication-request':
    case 'payment-reconciliation':
    case 'payment-notice':
      return { focus: (await deps.exchanges.receive(message.spec.focus as 'Communication', focus, caller, language)).record.resource! };
  }
}

/**
 * A poll-request: acknowledges the messages its Task's inputs "acknowledge" name (valueReference
 * Type/{id}), then gives the oldest waiting, at most its input "count" (default 50, at most 500): a
 * completed Task whose outputs reference each, included in the response message.
 */
async function poll(task: Task, caller: Caller, mailbox: Mailbox): Promise<Answered> {
  const inputs = task.input ?? [];
  const named = (name: string) => inputs.filter((i) => i.type?.text === name || i.type?.coding?.some((c) => c.code === name));
  const countInput = named('count')[0];
  const count = countInput ? countInput.valuePositiveInt ?? countInput.valueUnsignedInt ?? countInput.valueInteger : 50;
  if (!Number.isInteger(count) || count! < 1 || count! > 500) {
    throw gatewayError('search-parameter', { en: 'The input "count" of a poll-request Task is a whole number from 1 to 500', fr: "L'entrée « count » d'une Task poll-request est un nombre entier de 1 à 500" }, 'Task.input');
  }
  const acknowledged = named('acknowledge').map((i) => typedReference(i.valueReference?.reference));
  if (acknowledged.some((a) => !a)) throw gatewayError('poll-ack-invalid', { en: 'Each input "acknowledge" of a poll-request Task references a polled message: valueReference Type/{id}', fr: "Chaque entrée « acknowledge » d'une Task poll-request référence un message déjà relevé : valueReference Type/{id}" }, 'Task.input');
  if (acknowledged.length > 0) await mailbox.acknowledge(caller, acknowledged as Array<{ type: string; id: string }>);
  const { messages, total } = await mailbox.poll(caller, count!);
  const now = new Date().toISOString();
  const answer: Task & { id: string } = {
    resourceType: 'Task', id: randomUUID(), status: 'completed', intent: task.intent ?? 'order',
    code: { coding: [{ system: FINANCIAL_TASK_SYSTEM, code: 'poll' }] },
    requester: { identifier: { system: PARTICIPANT_SYSTEM, value: caller.participantId } }, authoredOn: task.authoredOn ?? now, lastModified: now,
    output: [
      { type: { text: 'total' }, valueUnsignedInt: total },
      ...messages.map((m) => ({ type: { text: 'message' }, valueReference: { reference: `${m.resourceType}/${m.id}` } })),
    ],
  };
  return { focus: answer, included: messages.map((m) => m.resource) };
}

/** The response message: MessageHeader (response to the request's header), the focus, and what it includes. */
function responseMessage(message: ReadMessage, req: FhirRequest, code: 'ok' | 'transient-error' | 'fatal-error', answered: Answered): Bundle {
  const fullUrl = (r: Resource & { id?: string }) => (r.id && r.resourceType !== 'OperationOutcome' ? `${req.baseUrl}/fhir/${r.resourceType}/${r.id}` : `urn:uuid:${randomUUID()}`);
  const focusUrl = fullUrl(answered.focus);
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    id: randomUUID(),
    eventCoding: { system: message.header.eventCoding!.system, code: message.spec.response },
    destination: [{
      endpoint: message.header.source?.endpoint ?? `urn:passerelle:participant:${req.caller.participantId}`,
      receiver: { identifier: { system: PARTICIPANT_SYSTEM, value: req.caller.participantId } },
    }],
    source: { name: 'Passerelle', endpoint: `${req.baseUrl}/fhir/$process-message` },
    response: {
      identifier: message.header.id ?? message.bundle.id,
      code,
      ...(code !== 'ok' ? { details: { reference: focusUrl } } : {}),
    },
    focus: [{ reference: focusUrl }],
  };
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'message',
    timestamp: new Date().toISOString(),
    entry: [
      { fullUrl: `urn:uuid:${header.id}`, resource: header },
      { fullUrl: focusUrl, resource: answered.focus },
      ...(answered.included ?? []).map((r) => ({ fullUrl: fullUrl(r), resource: r })),
    ],
  };
}
