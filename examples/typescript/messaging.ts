/**
 * FHIR messaging, as NPHIES clients do: every interaction as a Bundle of type "message" (a
 * MessageHeader first, its event and focus) on POST /fhir/$process-message; the gateway answers with a
 * response message whose MessageHeader.response names your header (docs/lifecycle.md, FHIR messaging).
 *
 *   node examples/dist/messaging.js
 */
import { randomUUID } from 'node:crypto';
import type { Client, FhirResource } from 'fhir-kit-client';
import { connectionFromEnv, exampleBundle, fhirClient, runIfMain, tokenWithSecret } from './passerelle.js';

const EVENTS = 'https://fhir.passerelle.sn/CodeSystem/message-event';

/** The response message's header (event, response code) and the resource it is about. */
export interface MessageAnswer {
  readonly event?: string;
  readonly code?: string;
  readonly focus?: FhirResource;
  readonly resources: FhirResource[];
}

/** Sends a message; a message sent again with the same Bundle.id gets the same answer and runs nothing twice. */
export async function processMessage(client: Client, message: FhirResource): Promise<MessageAnswer> {
  const answer = await client.operation({ name: '$process-message', method: 'POST', input: message });
  const entry = (answer.entry ?? []) as Array<{ fullUrl?: string; resource: FhirResource }>;
  const header = entry[0]?.resource as { eventCoding?: { code?: string }; response?: { code?: string }; focus?: Array<{ reference?: string }> } | undefined;
  return {
    event: header?.eventCoding?.code, code: header?.response?.code,
    focus: entry.find((e) => e.fullUrl === header?.focus?.[0]?.reference)?.resource,
    resources: entry.slice(1).map((e) => e.resource),
  };
}

/** A poll-request message: what waits for you, acknowledging what you stored from the previous one. */
export function pollRequest(acknowledge: string[] = [], count = 50): FhirResource {
  const headerId = randomUUID();
  const taskUrl = `urn:uuid:${randomUUID()}`;
  return {
    resourceType: 'Bundle', id: randomUUID(), type: 'message', timestamp: new Date().toISOString(),
    entry: [
      { fullUrl: `urn:uuid:${headerId}`, resource: { resourceType: 'MessageHeader', id: headerId, eventCoding: { system: EVENTS, code: 'poll-request' }, source: { endpoint: 'https://his.clinique-demo.example/fhir' }, focus: [{ reference: taskUrl }] } },
      { fullUrl: taskUrl, resource: {
        resourceType: 'Task', status: 'requested', intent: 'order',
        code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/financialtaskcode', code: 'poll' }] },
        input: [{ type: { text: 'count' }, valuePositiveInt: count }, ...acknowledge.map((reference) => ({ type: { text: 'acknowledge' }, valueReference: { reference } }))],
      } },
    ],
  };
}

runIfMain(import.meta.url, async () => {
  const connection = connectionFromEnv();
  const client = fhirClient(connection, await tokenWithSecret(connection));
  const claim = await processMessage(client, exampleBundle('message-claim-request'));
  console.log(`${claim.event} ${claim.code}: ClaimResponse ${claim.focus?.outcome}`);
  const polled = await processMessage(client, pollRequest());
  console.log(`${polled.event}: ${polled.resources.length - 1} message(s) given`);
});
