/**
 * Corrected claims: a claim with a related entry "replaces" corrects an earlier claim of the same
 * provider to the same insurer. The insurer receives it naming the original by its gateway id and
 * replaces it; the original shows what replaced it, and is cancelled when its insurer had not decided
 * it. A correction of a claim the provider does not have, or of one already replaced, is refused.
 */
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { REPLACED_BY_EXTENSION } from '../gateway/claims/claim-status.js';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, processingStatus, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ env: { SANDBOX_PEND_DELAY_MS: '600000' } });
});
afterAll(async () => {
  await gw?.stop();
});

const relationship = { coding: [{ system: 'https://fhir.passerelle.sn/CodeSystem/related-claim-relationship', code: 'replaces' }] };

function correcting(original: { reference?: string; identifier?: { system: string; value: string } }, name = 'claim-bundle-covered-member', provider?: string): Bundle {
  const bundle = claimBundle(name, provider ? { provider } : {});
  (bundle.entry![0]!.resource as Claim).related = [{ claim: original, relationship }];
  return bundle;
}

async function insurerAnswerTo(claimId: string) {
  return ((await gw.sandbox(`/demo-insurer/fhir/ClaimResponse?request=Claim/${claimId}`)).body as unknown as Bundle).entry?.[0]?.resource as { status?: string } | undefined;
}

describe('corrected claims', () => {
  it('replaces an adjudicated claim at the insurer; the original keeps its decision and names its replacement', async () => {
    const original = claimBundle();
    const identifier = (original.entry![0]!.resource as Claim).identifier![0]! as { system: string; value: string };
    const originalId = claimIdOf(await gw.submit(original));
    await gw.waitForStatus(originalId, ['complete']);
    const correction = await gw.submit(correcting({ identifier }));
    expect(correction.status).toBe(202);
    const correctionId = claimIdOf(correction);
    const served = (await gw.get(`/fhir/Claim/${correctionId}`)).body as unknown as Claim;
    expect(served.related?.[0]?.claim).toEqual({ reference: `Claim/${originalId}` });
    await gw.waitForStatus(correctionId, ['complete']);
    const replaced = (await gw.get(`/fhir/Claim/${originalId}`)).body as unknown as Claim;
    expect(processingStatus(replaced)).toBe('complete');
    expect(replaced.extension?.find((e) => e.url === REPLACED_BY_EXTENSION)?.valueReference?.reference).toBe(`Claim/${correctionId}`);
    expect((await insurerAnswerTo(originalId))?.status).toBe('cancelled');
  }, 30_000);

  it('cancels a pended original it replaces, and the insurer withdraws the answer it was preparing', async () => {
    const originalId = claimIdOf(await gw.submit(claimBundle('claim-bundle-above-pend-threshold')));
    await gw.waitForStatus(originalId, ['pended']);
    const correctionId = claimIdOf(await gw.submit(correcting({ reference: `Claim/${originalId}` })));
    await gw.waitForStatus(correctionId, ['complete']);
    await gw.waitForStatus(originalId, ['cancelled']);
    expect((await insurerAnswerTo(originalId))?.status).toBe('cancelled');
  }, 30_000);

  it('refuses a correction of no claim of this provider, or of one already replaced', async () => {
    const originalId = claimIdOf(await gw.submit(claimBundle()));
    await gw.waitForStatus(originalId, ['complete']);
    const path = ['Bundle.entry[0].resource.related[0].claim'];
    expect(expectOutcome(await gw.submit(correcting({ reference: 'Claim/00000000-0000-4000-8000-000000000000' })), 422, 'related-claim-unknown')[0]!.expression).toEqual(path);
    expectOutcome(await gw.submit(correcting({ reference: `Claim/${originalId}` }, 'claim-bundle-covered-member', 'demo-hospital'), 'demo-hospital'), 422, 'related-claim-unknown');
    expect((await gw.submit(correcting({ reference: `Claim/${originalId}` }))).status).toBe(202);
    const again = expectOutcome(await gw.submit(correcting({ reference: `Claim/${originalId}` })), 422, 'related-claim-unknown');
    expect(again[0]!.diagnostics).toContain('already replaced');
  }, 30_000);

  it('answers a correction sent again (same identifier) with its original answer, though its check now finds the original replaced', async () => {
    const originalId = claimIdOf(await gw.submit(claimBundle()));
    await gw.waitForStatus(originalId, ['complete']);
    const correction = correcting({ reference: `Claim/${originalId}` });
    const first = await gw.submit(correction);
    expect(first.status).toBe(202);
    const resent = await gw.submit(correction);
    expect(resent.status).toBe(202);
    expect(resent.headers.get('location')).toBe(first.headers.get('location'));
    expect(resent.body).toEqual(first.body);
  }, 30_000);
});
