/**
 * The whole pipeline to an openIMIS scheme (demo-openimis: adapter openimis, the sandbox's openIMIS
 * face): a claim is accepted, posted in openIMIS's dialect, pended while openIMIS enters and checks it,
 * and answered by the poll job once openIMIS valuates or rejects it; what openIMIS cannot take is
 * refused at submission with coded issues; a token openIMIS stops taking costs one new login.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { eventually, insurerResponses, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

/** The openIMIS claim fixture for today, with a fresh 8-character claim code. */
function openImisClaim(changes: { chfId?: string; codes?: string[] } = {}): Bundle {
  const today = new Date().toISOString().slice(0, 10);
  const bundle = JSON.parse(readFileSync(new URL('./fixtures/claim-bundle-openimis.json', import.meta.url), 'utf8').replaceAll('TODAY', today)) as Bundle;
  const claim = bundle.entry![0]!.resource as Claim;
  claim.identifier![0]!.value = `P${randomBytes(4).toString('hex').slice(0, 7).toUpperCase()}`;
  if (changes.chfId) {
    claim.patient.identifier!.value = changes.chfId;
    (bundle.entry![1]!.resource as { identifier: Array<{ value: string }> }).identifier[0]!.value = changes.chfId;
  }
  changes.codes?.forEach((code, i) => { claim.item![i]!.productOrService!.coding![0]!.code = code; });
  return bundle;
}

async function finalAnswer(claimId: string): Promise<ClaimResponse> {
  await gw.waitForStatus(claimId, ['complete', 'partial', 'error'], 'demo-clinic', 30_000);
  const answers = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body);
  return answers.at(-1)!;
}

describe('claims to an openIMIS scheme', () => {
  it('goes through openIMIS\'s states and comes back valuated, each line on its own sequence', async () => {
    const answer = await gw.submit(openImisClaim());
    expect(answer.status).toBe(202);
    const claimId = claimIdOf(answer);
    await gw.waitForStatus(claimId, ['pended']);
    const final = await finalAnswer(claimId);
    expect(final.outcome).toBe('complete');
    expect(final.request?.reference).toBe(`Claim/${claimId}`);
    expect(final.total?.map((t) => t.amount.value)).toEqual([39000, 35100]);
    const row = await gw.passerelle.db.query<{ insurer_reference: string }>('select insurer_reference from claims where id = $1', [claimId]);
    expect(row.rows[0]!.insurer_reference).toMatch(/^[0-9a-f-]{36}$/);
  }, 40_000);

  it('brings openIMIS\'s rejections back as partial (a line not in its price list) and error (no policy)', async () => {
    const partial = claimIdOf(await gw.submit(openImisClaim({ codes: ['CONS01', 'COSM01'] })));
    const lapsed = claimIdOf(await gw.submit(openImisClaim({ chfId: '070707950' })));
    const one = await finalAnswer(partial);
    expect(one.outcome).toBe('partial');
    expect(one.item!.find((i) => i.itemSequence === 2)!.adjudication[1]!.reason!.coding![0]).toMatchObject({ code: '2', display: 'NOT IN PRICE LIST' });
    const two = await finalAnswer(lapsed);
    expect(two.outcome).toBe('error');
    expect(two.error!.map((e) => e.code.coding![0]!.display)).toEqual(['NO PRODUCT FOUND', 'NO PRODUCT FOUND']);
  }, 40_000);

  it('refuses at submission what openIMIS cannot take, each element named', async () => {
    const bundle = openImisClaim();
    const claim = bundle.entry![0]!.resource as Claim;
    claim.careTeam = [{ sequence: 1, provider: { reference: 'Practitioner/4f1d3a5e-2b7c-4d8e-9a0f-1c2b3d4e5f60' } }];
    claim.identifier![0]!.value = 'KM0001234567';
    const answer = await gw.submit(bundle);
    const unsupported = expectOutcome(answer, 422, 'mapping-unsupported-element');
    expect(unsupported.map((i) => i.expression?.[0])).toEqual(['Bundle.entry[0].resource.careTeam']);
    const tooLong = expectOutcome(answer, 422, 'mapping-value-invalid');
    expect(tooLong.map((i) => i.expression?.[0])).toEqual(['Bundle.entry[0].resource.identifier']);
  });

  it('logs in again when openIMIS stops taking its token, without losing the claim', async () => {
    const logins = async () => ((await gw.sandbox('/_control/stats')).body as { openimisLogins: Record<string, number> }).openimisLogins['demo-openimis'] ?? 0;
    const before = await logins();
    expect((await gw.sandbox('/_control/openimis/revoke-tokens', { method: 'POST' })).status).toBe(204);
    const claimId = claimIdOf(await gw.submit(openImisClaim()));
    expect((await finalAnswer(claimId)).outcome).toBe('complete');
    await eventually(async () => expect(await logins()).toBeGreaterThan(before));
  }, 40_000);
});
