/**
 * The whole pipeline to insurers without FHIR, through the declarative mapping adapter and the
 * sandbox's flat-format faces: demo-ipm-json (the IPM JSON API of the sandbox's demo-insurer) and
 * demo-mutuelle-csv (CSV batch files with the sandbox's demo-mutuelle, through folders). Claims come
 * back as ClaimResponses that say what the insurer decided; what the insurer's format cannot carry is
 * refused at submission; malformed replies are retried, never guessed at, and a reply file never
 * touches a claim it was not about.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Claim, ClaimResponse, Coverage } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, eventually, insurerResponses, processingStatus, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const PARTICIPANT = 'urn:passerelle:participant';

/** A fixture claim addressed to a gateway insurer whose members are the sandbox insurer's. */
function claimTo(insurer: 'demo-ipm-json' | 'demo-mutuelle-csv', name = 'claim-bundle-covered-member', member?: string): Bundle {
  const sandboxInsurer = insurer === 'demo-ipm-json' ? 'demo-insurer' : 'demo-mutuelle';
  const bundle = claimBundle(name, { insurer: sandboxInsurer, ...(member ? { member } : {}) });
  const claim = bundle.entry![0]!.resource as Claim;
  claim.insurer = { identifier: { system: PARTICIPANT, value: insurer } };
  const coverage = bundle.entry!.find((e) => e.resource?.resourceType === 'Coverage')!.resource as Coverage;
  coverage.payor = [{ identifier: { system: PARTICIPANT, value: insurer } }];
  return bundle;
}

async function finalAnswer(claimId: string): Promise<ClaimResponse> {
  await gw.waitForStatus(claimId, ['complete', 'partial', 'error'], 'demo-clinic', 30_000);
  return insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body).at(-1)!;
}

const benefits = (response: ClaimResponse) => response.item!.map((i) => i.adjudication.find((a) => a.category.coding![0]!.code === 'benefit')!.amount!.value);

describe('an IPM with a home-grown JSON API', () => {
  it('gets the claim in its own format and its decision comes back as a ClaimResponse', async () => {
    const bundle = claimTo('demo-ipm-json');
    const claim = bundle.entry![0]!.resource as Claim;
    const answer = await gw.submit(bundle);
    expect(answer.status).toBe(202);
    const final = await finalAnswer(claimIdOf(answer));
    expect(final.outcome).toBe('complete');
    expect(final.item!.map((i) => i.itemSequence)).toEqual(claim.item!.map((i) => i.sequence));
    expect(benefits(final)).toEqual(claim.item!.map((i) => Math.round(i.net!.value! * 0.8)));
  }, 40_000);

  it('brings a pended claim\'s later decision back by polling the IPM', async () => {
    const claimId = claimIdOf(await gw.submit(claimTo('demo-ipm-json', 'claim-bundle-above-pend-threshold')));
    await gw.waitForStatus(claimId, ['pended']);
    expect((await finalAnswer(claimId)).outcome).toBe('complete');
  }, 40_000);

  it('retries an unreadable reply, or a reply about another claim, and keeps the claim', async () => {
    for (const reply of ['unparseable', 'unknown-claim', 'missing-fields']) {
      const fault = await gw.sandbox('/_control/faults', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', operation: 'ipm/claims', reply, count: 1 }),
      });
      expect(fault.status).toBe(201);
      const claimId = claimIdOf(await gw.submit(claimTo('demo-ipm-json')));
      expect((await finalAnswer(claimId)).outcome).toBe('complete');
      const events = await gw.passerelle.db.query<{ status: string }>(`select status from claim_events where claim_id = $1 order by id`, [claimId]);
      expect(events.rows.map((r) => r.status)).toContain('delivery-retry');
    }
  }, 60_000);

  it('makes a claim whose replies stay unreadable a dead letter, with the last error, never a guess', async () => {
    await gw.sandbox('/_control/faults', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', operation: 'ipm/claims', reply: 'missing-fields', count: 4 }),
    });
    const claimId = claimIdOf(await gw.submit(claimTo('demo-ipm-json')));
    const claim = await gw.waitForStatus(claimId, ['failed', 'complete', 'partial', 'error'], 'demo-clinic', 30_000);
    expect(processingStatus(claim)).toBe('failed'); // never answered from garbage
    const answers = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body);
    expect(answers.at(-1)?.error?.[0]?.code.coding?.[0]?.code).toBe('delivery-failed');
  }, 60_000);

  it('refuses at submission what the IPM cannot take, each element named', async () => {
    const bundle = claimTo('demo-ipm-json');
    const claim = bundle.entry![0]!.resource as Claim;
    claim.careTeam = [{ sequence: 1, provider: { identifier: { system: 'urn:test', value: 'dr' } } }];
    claim.item![0]!.productOrService = { coding: [{ system: 'http://snomed.info/sct', code: '11429006' }] };
    claim.insurance![0]!.preAuthRef = ['PA-ON-PAPER'];
    const answer = await gw.submit(bundle);
    expect(expectOutcome(answer, 422, 'mapping-unsupported-element').map((i) => i.expression?.[0]))
      .toEqual(['Bundle.entry[0].resource.insurance[0].preAuthRef', 'Bundle.entry[0].resource.careTeam']);
    expectOutcome(answer, 422, 'preauth-unknown'); // reported with them, not instead
    expect(expectOutcome(answer, 422, 'mapping-required-missing').map((i) => i.expression?.[0])[0]).toMatch(/^Bundle\.entry\[0\]\.resource\.item\[0\]/);
  });
});

describe('a mutuelle exchanging CSV batch files', () => {
  const folder = () => join(gw.passerelle.config.dataDir, 'demo-batch-exchange', 'demo-mutuelle');

  it('sends claims in a batch file and records the decisions of its reply file', async () => {
    const bundle = claimTo('demo-mutuelle-csv');
    const total = (bundle.entry![0]!.resource as Claim).total!.value!;
    const covered = claimIdOf(await gw.submit(bundle));
    const unknown = claimIdOf(await gw.submit(claimTo('demo-mutuelle-csv', 'claim-bundle-covered-member', 'C1001')));
    const one = await finalAnswer(covered);
    expect(one.outcome).toBe('complete');
    const totals = Object.fromEntries(one.total!.map((t) => [t.category.coding![0]!.code, t.amount.value]));
    expect(totals).toEqual({ submitted: total, benefit: total / 2, copay: total / 2 }); // the mutuelle pays 50 %
    expect(one.disposition).toMatch(/^Claim accepted\./); // the claim's message, repeated on its rows
    const two = await finalAnswer(unknown);
    expect(two.outcome).toBe('error');
    expect(two.error!.map((e) => e.code.coding![0]!.code)).toContain('MEMBER_UNKNOWN');
    expect(readdirSync(join(folder(), 'replies', 'processed')).length).toBeGreaterThan(0);
  }, 40_000);

  it('sets an unreadable reply file aside, and never applies a reply to a claim it was not about', async () => {
    const ipmClaim = claimIdOf(await gw.submit(claimTo('demo-ipm-json')));
    await finalAnswer(ipmClaim);
    writeFileSync(join(folder(), 'replies', 'garbage.csv'), 'this is not;a reply\n"unclosed');
    writeFileSync(join(folder(), 'replies', 'foreign.csv'),
      `claim_ref;status;line_no;amount_claimed;amount_covered;patient_share;reject_code;message\n${ipmClaim};REJECTED;;;;;MEMBER_UNKNOWN;forged\n`);
    await eventually(async () => expect(readdirSync(join(folder(), 'replies', 'rejected'))).toContain('garbage.csv'), 15_000);
    await eventually(async () => expect(readdirSync(join(folder(), 'replies')).filter((f) => f.endsWith('.csv'))).toEqual([]), 15_000);
    const answers = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${ipmClaim}`)).body);
    expect(answers.map((a) => a.outcome)).toEqual(['complete']);
  }, 40_000);
});
