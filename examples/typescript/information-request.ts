/**
 * An information request: the insurer holds a claim until it has a document (in the sandbox, the
 * medical report of a claim above 2 000 000 XOF with nothing attached) and asks for it with a
 * CommunicationRequest; you answer with a Communication carrying the document (docs/lifecycle.md,
 * Information requests). Requests reach you by push, by $poll, and by the claim, as here.
 *
 *   node examples/dist/information-request.js
 */
import type { Client, FhirResource } from 'fhir-kit-client';
import { submitClaim, waitForAnswer } from './first-claim.js';
import { connectionFromEnv, entries, exampleBundle, fhirClient, runIfMain, tokenWithSecret } from './passerelle.js';

/** The information requests about a claim, waiting up to timeoutMs for the first one. */
export async function informationRequests(client: Client, claimId: string, timeoutMs = 30_000): Promise<Array<FhirResource & { id: string }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = entries<FhirResource & { id: string }>(await client.search({ resourceType: 'CommunicationRequest', searchParams: { claim: `Claim/${claimId}` } }));
    if (found.length > 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Answers a request with the document (base64 in the body; or give a url instead of data). */
export async function answerWithDocument(client: Client, request: FhirResource & { id: string }, claimId: string, pdf: Buffer): Promise<FhirResource> {
  return client.create({
    resourceType: 'Communication',
    body: {
      resourceType: 'Communication', status: 'completed',
      basedOn: [{ reference: `CommunicationRequest/${request.id}` }],
      about: [{ reference: `Claim/${claimId}` }],
      sent: new Date().toISOString(),
      payload: [
        { contentString: 'Compte rendu médical joint / medical report attached' },
        { contentAttachment: { contentType: 'application/pdf', title: 'compte-rendu.pdf', data: pdf.toString('base64') } },
      ],
    },
  });
}

runIfMain(import.meta.url, async () => {
  const connection = connectionFromEnv();
  const client = fhirClient(connection, await tokenWithSecret(connection));
  const { claimId } = await submitClaim(client, exampleBundle('claim-needs-report'));
  const [request] = await informationRequests(client, claimId);
  if (!request) throw new Error(`No information request for claim ${claimId}`);
  console.log(`asked: ${(request.payload as Array<{ contentString?: string }>)[0]?.contentString}`);
  await answerWithDocument(client, request, claimId, Buffer.from('%PDF-1.4 compte rendu (exemple)'));
  const answer = await waitForAnswer(client, claimId);
  console.log(`answer: ${answer.outcome}: ${answer.disposition}`);
});
