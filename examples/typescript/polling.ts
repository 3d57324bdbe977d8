/**
 * Polling, for a billing system that cannot receive pushes (behind a firewall, on a desktop): ask the
 * gateway what waits for you (GET /fhir/$poll), store each message, then acknowledge what you stored
 * (POST /fhir/$poll-ack). A message comes again on every poll until acknowledged, so an answer lost on
 * the way, or a crash between the two calls, loses nothing. Store by id: you may see a message twice.
 *
 *   node examples/dist/polling.js     (one pass; run it every few minutes)
 */
import type { Client, FhirResource } from 'fhir-kit-client';
import { connectionFromEnv, entries, fhirClient, runIfMain, tokenWithSecret } from './passerelle.js';

/** The oldest messages waiting for you (at most `count`, up to 500) and how many wait in all. */
export async function poll(client: Client, count = 50): Promise<{ total: number; messages: Array<FhirResource & { id: string }> }> {
  const searchset = await client.operation({ name: '$poll', method: 'GET', input: { _count: count } });
  return { total: Number(searchset.total ?? 0), messages: entries<FhirResource & { id: string }>(searchset) };
}

/** Acknowledges messages you have stored; returns how many were still waiting. */
export async function acknowledge(client: Client, messages: ReadonlyArray<FhirResource & { id: string }>): Promise<number> {
  if (messages.length === 0) return 0;
  const answer = await client.operation({
    name: '$poll-ack', method: 'POST',
    input: { resourceType: 'Parameters', parameter: messages.map((m) => ({ name: 'message', valueReference: { reference: `${m.resourceType}/${m.id}` } })) },
  });
  const parameters = (answer.parameter ?? []) as Array<{ name: string; valueInteger?: number }>;
  return parameters.find((p) => p.name === 'acknowledged')?.valueInteger ?? 0;
}

/** One pass: poll until nothing waits, handing each message to `store` before acknowledging it. */
export async function pollOnce(client: Client, store: (message: FhirResource & { id: string }) => Promise<void> | void): Promise<number> {
  let handled = 0;
  for (;;) {
    const { messages } = await poll(client, 50);
    if (messages.length === 0) return handled;
    for (const message of messages) await store(message);
    await acknowledge(client, messages);
    handled += messages.length;
  }
}

runIfMain(import.meta.url, async () => {
  const connection = connectionFromEnv();
  const client = fhirClient(connection, await tokenWithSecret(connection));
  const handled = await pollOnce(client, (m) => {
    console.log(`${m.resourceType}/${m.id} ${m.outcome ?? m.status ?? ''} ${m.disposition ?? ''}`);
  });
  console.log(`${handled} message(s) stored and acknowledged`);
});
