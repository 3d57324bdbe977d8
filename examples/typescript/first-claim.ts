/**
 * From zero to a first adjudicated claim, with fhir-kit-client: a token, an eligibility check, a
 * $validate trial, the claim's submission (with an Idempotency-Key), then its answer read back.
 *
 *   npx tsc -p examples/typescript && node examples/dist/first-claim.js
 *
 * Against the demo of `npm start` by default; PASSERELLE_URL, PASSERELLE_CLIENT_ID and
 * PASSERELLE_CLIENT_SECRET point it elsewhere (examples/typescript/passerelle.ts).
 */
import { randomUUID } from 'node:crypto';
import { Client, type FhirResource } from 'fhir-kit-client';
import {
  connectionFromEnv, entries, exampleBundle, fhirClient, processingStatus, runIfMain, tokenWithSecret, totalOf,
  type ClaimAnswer, type Connection,
} from './passerelle.js';

/** Is the patient covered today, and for what? (CoverageEligibilityRequest/$submit) */
export async function checkEligibility(client: Client, request: FhirResource): Promise<FhirResource> {
  return client.operation({ resourceType: 'CoverageEligibilityRequest', name: '$submit', method: 'POST', input: request });
}

/**
 * Checks a bundle without submitting it: 200 with an OperationOutcome listing every issue (rule id,
 * FHIRPath, message), against FHIR R4, the base pack and the insurer's packs in force.
 */
export async function validate(client: Client, bundle: FhirResource, insurer: string, language = 'en'): Promise<FhirResource> {
  return client.request(`$validate?insurer=${encodeURIComponent(insurer)}`, {
    method: 'POST', body: bundle,
    options: { headers: { 'Content-Type': 'application/fhir+json', 'Accept-Language': language } },
  });
}

/** The answer to a submission: the claim's gateway id and the gateway's "queued" ClaimResponse. */
export interface Submission {
  readonly claimId: string;
  readonly location: string;
  readonly queued: ClaimAnswer;
}

/**
 * Submits a claim bundle (Claim/$submit). Keep the Idempotency-Key with the invoice in your database and
 * send the same one on every retry of this submission: a retry after a lost answer then gets the first
 * answer back instead of a second claim.
 */
export async function submitClaim(client: Client, bundle: FhirResource, idempotencyKey: string = randomUUID()): Promise<Submission> {
  const queued = await client.operation({
    resourceType: 'Claim', name: '$submit', method: 'POST', input: bundle,
    options: { headers: { 'Idempotency-Key': idempotencyKey } },
  }) as ClaimAnswer;
  const location = Client.httpFor(queued).response?.headers.get('location') ?? '';
  const claimId = location.split('/Claim/')[1] ?? String((queued.request as { reference?: string } | undefined)?.reference).split('/')[1]!;
  return { claimId, location, queued };
}

const FINAL = ['complete', 'partial', 'error', 'failed', 'cancelled'];

/**
 * Reads the claim until its processing status is final, then returns the insurer's final answer (the
 * newest ClaimResponse of the claim that is not "queued"). Pulling is the simplest way to get answers;
 * callbacks and $poll avoid asking again and again (callback-receiver.ts, polling.ts).
 */
export async function waitForAnswer(client: Client, claimId: string, timeoutMs = 60_000): Promise<ClaimAnswer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const claim = await client.read({ resourceType: 'Claim', id: claimId });
    const status = processingStatus(claim);
    if (status && FINAL.includes(status)) break;
    if (Date.now() > deadline) throw new Error(`Claim ${claimId} is still ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const answers = entries<ClaimAnswer>(await client.search({ resourceType: 'ClaimResponse', searchParams: { request: `Claim/${claimId}` } }));
  const final = answers.filter((a) => a.outcome !== 'queued').at(-1);
  if (!final) throw new Error(`Claim ${claimId} has no final answer`);
  return final;
}

/** The whole first exchange; `log` receives what a developer would print. */
export async function firstClaim(connection: Connection, log: (line: string) => void = console.log): Promise<{ claimId: string; answer: ClaimAnswer }> {
  const client = fhirClient(connection, await tokenWithSecret(connection));

  const eligibility = await checkEligibility(client, exampleBundle('eligibility-covered-member'));
  const inforce = (eligibility.insurance as Array<{ inforce?: boolean }> | undefined)?.[0]?.inforce;
  log(`1. Eligibility: ${eligibility.outcome}, in force: ${inforce} (${eligibility.disposition})`);

  const bundle = exampleBundle('claim-covered-member');
  const outcome = await validate(client, bundle, 'demo-insurer');
  const issues = (outcome.issue ?? []) as Array<{ severity: string }>;
  log(`2. $validate: ${issues.filter((i) => i.severity === 'error').length} error(s)`);

  const submission = await submitClaim(client, bundle);
  log(`3. Submitted: ${submission.location} (${submission.queued.outcome})`);

  const answer = await waitForAnswer(client, submission.claimId);
  log(`4. Answer: ${answer.outcome}, benefit ${totalOf(answer, 'benefit')} XOF of ${totalOf(answer, 'submitted')}: ${answer.disposition}`);
  return { claimId: submission.claimId, answer };
}

runIfMain(import.meta.url, async () => {
  await firstClaim(connectionFromEnv());
});
