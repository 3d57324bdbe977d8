/**
 * Payments: the insurer tells what it paid, for which claims, with a PaymentReconciliation (the bank
 * transfer, a detail per claim) and a PaymentNotice. Both reach you by push and by $poll; here they are
 * read by claim (docs/lifecycle.md, Payments). In the sandbox a payment run is started by its control
 * API (SANDBOX_URL): real insurers pay on their own schedule.
 *
 *   CLAIM_ID=<gateway claim id> node examples/dist/payments.js
 */
import type { Client, FhirResource } from 'fhir-kit-client';
import { connectionFromEnv, entries, fhirClient, runIfMain, tokenWithSecret } from './passerelle.js';

/** Sandbox only: the insurer pays every claim it adjudicated with something to pay and not paid yet. */
export async function sandboxPaymentRun(sandboxUrl: string, insurer = 'demo-insurer'): Promise<unknown> {
  const res = await fetch(`${sandboxUrl}/_control/payments`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer }) });
  if (!res.ok) throw new Error(`payment run: HTTP ${res.status}`);
  return res.json();
}

/** The transfers that paid a claim, and their notices. */
export async function paymentsOf(client: Client, claimId: string): Promise<{ reconciliations: FhirResource[]; notices: FhirResource[] }> {
  const searchParams = { claim: `Claim/${claimId}` };
  const [reconciliations, notices] = await Promise.all([
    client.search({ resourceType: 'PaymentReconciliation', searchParams }),
    client.search({ resourceType: 'PaymentNotice', searchParams }),
  ]);
  return { reconciliations: entries(reconciliations), notices: entries(notices) };
}

/** What the insurer paid for one claim, from the reconciliation's detail of that claim. */
export function amountPaidFor(reconciliation: FhirResource, claimId: string): number | undefined {
  const details = (reconciliation.detail ?? []) as Array<{ request?: { reference?: string }; amount?: { value?: number } }>;
  return details.find((d) => d.request?.reference === `Claim/${claimId}`)?.amount?.value;
}

runIfMain(import.meta.url, async () => {
  const claimId = process.env.CLAIM_ID;
  if (!claimId) throw new Error('Set CLAIM_ID to the gateway id of an adjudicated claim');
  const connection = connectionFromEnv();
  await sandboxPaymentRun(connection.sandboxUrl);
  const client = fhirClient(connection, await tokenWithSecret(connection));
  const { reconciliations, notices } = await paymentsOf(client, claimId);
  for (const r of reconciliations) {
    console.log(`${(r.paymentIdentifier as { value?: string }).value}: ${amountPaidFor(r, claimId)} XOF for this claim (${r.disposition})`);
  }
  console.log(`${notices.length} payment notice(s)`);
});
