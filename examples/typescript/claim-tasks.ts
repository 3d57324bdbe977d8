/**
 * After submission: ask where a claim stands, cancel it, or send a corrected claim in its place
 * (docs/lifecycle.md: Status of a claim, Cancelling a claim, Corrected claims).
 *
 *   CLAIM_ID=<gateway claim id> node examples/dist/claim-tasks.js
 */
import type { Client, FhirResource } from 'fhir-kit-client';
import { submitClaim, type Submission } from './first-claim.js';
import { connectionFromEnv, describeError, exampleBundle, fhirClient, runIfMain, tokenWithSecret } from './passerelle.js';

const FINANCIAL_TASK = 'http://hl7.org/fhir/CodeSystem/financialtaskcode';

/** A Task about one of your claims: code status or cancel. */
function task(code: 'status' | 'cancel', claimId: string): FhirResource {
  return { resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK, code }] }, focus: { reference: `Claim/${claimId}` } };
}

/**
 * Where does the claim stand? The Task comes back completed, its businessStatus the processing status
 * (queued, pended, complete...), its output the latest ClaimResponse. A pended claim's insurer is asked first.
 */
export async function askStatus(client: Client, claimId: string): Promise<{ status?: string; latestResponse?: string }> {
  const answer = await client.create({ resourceType: 'Task', body: task('status', claimId) });
  const businessStatus = answer.businessStatus as { coding?: Array<{ code?: string }> } | undefined;
  const output = answer.output as Array<{ valueReference?: { reference?: string } }> | undefined;
  return { status: businessStatus?.coding?.[0]?.code, latestResponse: output?.[0]?.valueReference?.reference };
}

/**
 * Cancels a claim: done at once while the insurer does not have it, with the insurer's agreement while it
 * is pended; an adjudicated claim answers 409 cancel-too-late (send a corrected claim instead).
 */
export async function cancelClaim(client: Client, claimId: string): Promise<string | undefined> {
  const answer = await client.create({ resourceType: 'Task', body: task('cancel', claimId) });
  return (answer.businessStatus as { coding?: Array<{ code?: string }> } | undefined)?.coding?.[0]?.code;
}

/** A corrected claim (a new invoice number) that replaces the original (Claim.related, relationship replaces). */
export async function submitCorrection(client: Client, originalClaimId: string): Promise<Submission> {
  return submitClaim(client, exampleBundle('claim-correction', { ORIGINAL_CLAIM: originalClaimId }));
}

runIfMain(import.meta.url, async () => {
  const claimId = process.env.CLAIM_ID;
  if (!claimId) throw new Error('Set CLAIM_ID to the gateway id of one of your claims');
  const connection = connectionFromEnv();
  const client = fhirClient(connection, await tokenWithSecret(connection));
  console.log('status:', await askStatus(client, claimId));
  try {
    console.log('cancel:', await cancelClaim(client, claimId));
  } catch (err) {
    console.log(`cancel refused: ${describeError(err)}`);
  }
});
