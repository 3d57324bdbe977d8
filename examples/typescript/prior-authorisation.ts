/**
 * Prior authorisation: ask the insurer before the care (a Claim with use "preauthorization"), keep the
 * reference it grants (ClaimResponse.preAuthRef, valid for preAuthPeriod), then cite it on the claim
 * (Claim.insurance.preAuthRef). The sandbox adjudicates a claim citing a valid reference at once
 * instead of pending it for review (docs/lifecycle.md, Prior authorisation).
 *
 *   node examples/dist/prior-authorisation.js
 */
import type { Client } from 'fhir-kit-client';
import { submitClaim, waitForAnswer } from './first-claim.js';
import { connectionFromEnv, exampleBundle, fhirClient, runIfMain, tokenWithSecret, type ClaimAnswer } from './passerelle.js';

/** Asks for the authorisation and waits for the insurer's answer (pended for review in the sandbox: a few seconds). */
export async function requestPriorAuthorisation(client: Client): Promise<ClaimAnswer> {
  const { claimId } = await submitClaim(client, exampleBundle('preauthorization-request'));
  return waitForAnswer(client, claimId);
}

/** Submits the claim for the authorised care, citing the reference, and waits for its answer. */
export async function claimWithAuthorisation(client: Client, preAuthRef: string): Promise<{ claimId: string; answer: ClaimAnswer }> {
  const { claimId } = await submitClaim(client, exampleBundle('claim-citing-preauthorization', { PREAUTH_REF: preAuthRef }));
  return { claimId, answer: await waitForAnswer(client, claimId) };
}

runIfMain(import.meta.url, async () => {
  const connection = connectionFromEnv();
  const client = fhirClient(connection, await tokenWithSecret(connection));
  const authorisation = await requestPriorAuthorisation(client);
  console.log(`authorisation: ${authorisation.outcome} ${authorisation.preAuthRef} ${JSON.stringify(authorisation.preAuthPeriod)}`);
  if (!authorisation.preAuthRef) return;
  const { answer } = await claimWithAuthorisation(client, authorisation.preAuthRef);
  console.log(`claim: ${answer.outcome}: ${answer.disposition}`);
});
