/**
 * Prior authorisation through the claim pipeline: a Claim of use "preauthorization" is accepted,
 * delivered and answered like any claim, and the reference its insurer grants is kept; a later claim
 * citing it is checked (this insurer, this provider, this patient, within its validity) before it is
 * queued, and reaches the insurer with the reference, which spares it the manual review.
 */
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, insurerResponses, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function finalAnswer(claimId: string, clientId = 'demo-clinic'): Promise<ClaimResponse> {
  await gw.waitForStatus(claimId, ['complete', 'partial', 'error'], clientId);
  return insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, clientId)).body).at(-1)!;
}

function citing(ref: string, name = 'claim-bundle-above-pend-threshold', changes: Parameters<typeof claimBundle>[1] = {}): Bundle {
  const bundle = claimBundle(name, changes);
  (bundle.entry![0]!.resource as Claim).insurance![0]!.preAuthRef = [ref];
  return bundle;
}

describe('prior authorisation', () => {
  let ref: string;

  it('goes through the pipeline and comes back with the insurer\'s reference and its validity', async () => {
    const bundle = claimBundle('claim-bundle-above-pend-threshold');
    (bundle.entry![0]!.resource as Claim).use = 'preauthorization';
    const claimId = claimIdOf(await gw.submit(bundle));
    const answer = await finalAnswer(claimId);
    expect(answer.use).toBe('preauthorization');
    expect(answer.preAuthRef).toMatch(/^PA-/);
    expect(answer.preAuthPeriod?.end).toBeDefined();
    ref = answer.preAuthRef!;
  }, 30_000);

  it('answers a predetermination through the same pipeline, with what would be paid and no reference', async () => {
    const bundle = claimBundle();
    (bundle.entry![0]!.resource as Claim).use = 'predetermination';
    const claimId = claimIdOf(await gw.submit(bundle));
    const answer = await finalAnswer(claimId);
    expect(answer).toMatchObject({ use: 'predetermination', outcome: 'complete' });
    expect(answer.total?.find((t) => t.category.coding?.[0]?.code === 'benefit')?.amount.value).toBeGreaterThan(0);
    expect(answer.payment).toBeUndefined(); // what would be paid, not a payment
    expect(answer.preAuthRef).toBeUndefined();
    const row = await gw.passerelle.db.query<{ preauth_ref: string | null }>('select preauth_ref from claims where id = $1', [claimId]);
    expect(row.rows[0]!.preauth_ref).toBeNull();
  }, 30_000);

  it('lets a claim citing it through, and the insurer adjudicates it without review', async () => {
    const answer = await gw.submit(citing(ref));
    expect(answer.status).toBe(202);
    const claimId = claimIdOf(answer);
    expect((await finalAnswer(claimId)).outcome).toBe('complete');
    const events = await gw.passerelle.db.query<{ status: string }>('select status from claim_events where claim_id = $1 order by id', [claimId]);
    expect(events.rows.map((r) => r.status)).not.toContain('pended');
  }, 30_000);

  it('refuses a reference the insurer never granted, or granted to another provider or patient, alike', async () => {
    for (const [bundle, clientId] of [
      [citing('PA-0000000000'), 'demo-clinic'],
      [citing(ref, 'claim-bundle-above-pend-threshold', { provider: 'demo-hospital' }), 'demo-hospital'],
      [citing(ref, 'claim-bundle-above-pend-threshold', { member: 'M0002' }), 'demo-clinic'],
    ] as const) {
      const answer = await gw.submit(bundle, clientId);
      const issues = expectOutcome(answer, 422, 'preauth-unknown');
      expect(issues.map((i) => i.expression?.[0])).toEqual(['Bundle.entry[0].resource.insurance[0].preAuthRef[0]']);
    }
  });

  it('refuses a claim whose services fall outside the authorisation\'s validity', async () => {
    await gw.passerelle.db.query(`update claims set preauth_end = current_date - 1 where preauth_ref = $1`, [ref]);
    const issues = expectOutcome(await gw.submit(citing(ref)), 422, 'preauth-expired');
    expect(issues[0]!.diagnostics).toContain(ref);
  });
});
