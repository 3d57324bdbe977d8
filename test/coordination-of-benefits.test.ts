/**
 * Coordination of benefits: a claim with two Claim.insurance entries (IPM Démo pays 80 %, Mutuelle Démo
 * 50 % of what is left) goes to the IPM first, then, once it has adjudicated, to the mutuelle as a
 * follow-on claim carrying the IPM's ClaimResponse; the provider sees each answer and the split on its
 * original claim. A mutuelle that is down makes the follow-on a dead letter (replayable); one that
 * refuses leaves the rest to the patient. Claims whose payers cannot be coordinated are refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Bundle, Claim, ClaimResponse, Extension, Identifier, Reference } from '@medplum/fhirtypes';
import { AdapterRegistry, defaultAdapters } from '../mappings/index.js';
import type { ClaimDelivery } from '../mappings/adapter.js';
import { CLAIM_SPLIT_EXTENSION } from '../gateway/claims/claim-coordination-split.js';
import { COORDINATION_FOLLOW_ON_EXTENSION, COORDINATION_ORIGINAL_EXTENSION } from '../gateway/claims/claim-status.js';
import { ClaimRepository } from '../gateway/claims/claim-repository.js';
import { openDatabase } from '../gateway/store/database.js';
import { migrate } from '../gateway/store/migrate.js';
import { eventually, insurerResponses, processingStatus, startTestGateway, type HttpAnswer, type TestGateway, claimIdOf } from './harness.js';
import { listenOnFreePort } from './http-server.js';
import { expectOutcome } from './outcome-assertions.js';

/** What the gateway handed the FHIR adapter for each insurer: the bundle each payer received. */
const delivered: Array<{ insurerId: string; claimId: string; bundle: Bundle }> = [];

function recordingAdapters(): AdapterRegistry {
  const shipped = defaultAdapters({ timeoutMs: 10_000 });
  const fhir = shipped.get('fhir');
  const recording = { ...fhir, submitClaim: (delivery: ClaimDelivery) => {
    delivered.push({ insurerId: delivery.insurerId, claimId: delivery.claimId, bundle: structuredClone(delivery.bundle) });
    return fhir.submitClaim(delivery);
  } };
  return new AdapterRegistry([recording, shipped.get('openimis'), shipped.get('mapping')]);
}

/** What the gateway pushed to the callback of cob-clinic, a provider registered with one. */
const pushed: ClaimResponse[] = [];

let gw: TestGateway;
let callback: { url: string; close(): Promise<void> };
let seedDir: string;
beforeAll(async () => {
  const app = express();
  app.post('/callback', express.json({ type: '*/*' }), (req, res) => {
    pushed.push(req.body as ClaimResponse);
    res.status(204).end();
  });
  callback = await listenOnFreePort(app);
  seedDir = mkdtempSync(join(tmpdir(), 'passerelle-cob-seed-'));
  writeFileSync(join(seedDir, 'seed.json'), JSON.stringify({ participants: [{
    id: 'cob-clinic', kind: 'provider', name: 'COB clinic', callbackUrl: `${callback.url}/callback`, callbackSecret: 'callback-secret-of-cob-clinic-0123456789',
    clients: [{ clientId: 'cob-clinic', secret: 'cob-clinic-secret' }],
  }] }));
  gw = await startTestGateway({ env: { DELIVERY_ATTEMPTS: '2', SEED_FILE: join(seedDir, 'seed.json') }, start: { adapters: recordingAdapters() } });
});
afterAll(async () => {
  await gw?.stop();
  await callback?.close();
  rmSync(seedDir, { recursive: true, force: true });
});

const today = new Date().toISOString().slice(0, 10);

/** The demo fixture (IPM member M0001, mutuelle member C0001), dated today, with a unique identifier. */
function twoPayers(change: (claim: Claim, bundle: Bundle) => void = () => undefined): Bundle {
  const text = readFileSync(new URL('../sandbox/fixtures/claim-bundle-two-payers.json', import.meta.url), 'utf8').replaceAll('2025-03-14', today);
  const bundle = JSON.parse(text) as Bundle;
  const claim = bundle.entry![0]!.resource as Claim;
  claim.identifier = [{ system: 'urn:demo-clinic:claim', value: randomUUID() }];
  change(claim, bundle);
  return bundle;
}

async function responses(claimId: string, clientId = 'demo-clinic'): Promise<ClaimResponse[]> {
  return (((await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`, clientId)).body as unknown as Bundle).entry ?? []).map((e) => e.resource as ClaimResponse);
}

/** The follow-on claim the gateway created for the next payer, named on the original. */
async function followOnOf(rootId: string): Promise<string> {
  return eventually(async () => {
    const root = (await gw.get(`/fhir/Claim/${rootId}`)).body as unknown as Claim;
    const ref = root.extension?.find((e) => e.url === COORDINATION_FOLLOW_ON_EXTENSION)?.valueReference?.reference;
    if (!ref) throw new Error(`Claim/${rootId} has no follow-on yet`);
    return ref.replace('Claim/', '');
  });
}

/** The gateway's split answers on the original claim, oldest first. */
async function splits(rootId: string): Promise<ClaimResponse[]> {
  return (await responses(rootId)).filter((r) => r.extension?.some((e) => e.url === CLAIM_SPLIT_EXTENSION));
}

/** The latest split once it has this outcome. */
async function splitWith(rootId: string, outcome: 'complete' | 'partial'): Promise<ClaimResponse> {
  return eventually(async () => {
    const latest = (await splits(rootId)).at(-1);
    if (latest?.outcome !== outcome) throw new Error(`split of Claim/${rootId} is ${latest?.outcome ?? 'missing'}, not ${outcome}`);
    return latest;
  });
}

function sub(share: Extension, url: string): Extension | undefined {
  return share.extension?.find((e) => e.url === url);
}

/** The shares of a split, simplified: party, payer, state and amount. */
function sharesOf(split: ClaimResponse) {
  return (split.extension ?? []).filter((e) => e.url === CLAIM_SPLIT_EXTENSION).map((share) => ({
    party: sub(share, 'party')?.valueCode,
    payer: sub(share, 'payer')?.valueReference?.identifier?.value,
    state: sub(share, 'state')?.valueCode,
    amount: sub(share, 'amount')?.valueMoney?.value,
    claim: sub(share, 'claim')?.valueReference?.reference,
    claimResponse: sub(share, 'claimResponse')?.valueReference?.reference,
  }));
}

function total(response: ClaimResponse, category: string): number | undefined {
  return response.total?.find((t) => t.category.coding?.[0]?.code === category)?.amount.value;
}

function itemAmount(response: ClaimResponse, sequence: number, category: string): number | undefined {
  return response.item?.find((i) => i.itemSequence === sequence)?.adjudication.find((a) => a.category.coding?.[0]?.code === category)?.amount?.value;
}

/** The sandbox mutuelle answers its next count claim submissions with this HTTP status. */
async function mutuelleFails(status: number, count: number): Promise<void> {
  const set = await gw.sandbox('/_control/faults', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-mutuelle', operation: 'Claim/$submit', status, count }),
  });
  expect(set.status).toBe(201);
}

/** Submits the two-payer claim and waits for the IPM's answer and the follow-on. */
async function coordinated(bundle = twoPayers()): Promise<{ rootId: string; followOnId: string; ipm: ClaimResponse }> {
  const answer = await gw.submit(bundle);
  expect(answer.status).toBe(202);
  const rootId = claimIdOf(answer);
  await gw.waitForStatus(rootId, ['complete']);
  const ipm = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${rootId}`)).body).find((r) => r.outcome === 'complete')!;
  return { rootId, followOnId: await followOnOf(rootId), ipm };
}

describe('coordination of benefits', () => {
  let shared: { rootId: string; followOnId: string; splitId: string };

  it('sends the claim to the IPM, then to the mutuelle with the IPM\'s adjudication, and shows the provider the split', async () => {
    const { rootId, followOnId, ipm } = await coordinated();
    // The IPM pays 80 %: 12 000 + 8 000.
    expect(total(ipm, 'benefit')).toBe(20000);

    // The follow-on: the same claim to the mutuelle, the IPM's entry carrying its ClaimResponse, the mutuelle's entry focal.
    const followOn = (await gw.get(`/fhir/Claim/${followOnId}`)).body as unknown as Claim;
    expect(followOn.insurer?.identifier?.value).toBe('demo-mutuelle');
    expect(followOn.extension?.find((e) => e.url === COORDINATION_ORIGINAL_EXTENSION)?.valueReference?.reference).toBe(`Claim/${rootId}`);
    expect(followOn.insurance).toEqual([
      expect.objectContaining({ sequence: 1, focal: false, claimResponse: { reference: `urn:uuid:${ipm.id}` } }),
      expect.objectContaining({ sequence: 2, focal: true }),
    ]);
    expect(followOn.insurance![1]!.claimResponse).toBeUndefined();

    await gw.waitForStatus(followOnId, ['complete']);
    // The bundle as the mutuelle received it: the follow-on claim under the provider's own identifier, and the IPM's ClaimResponse.
    const received = delivered.find((d) => d.insurerId === 'demo-mutuelle' && d.claimId === followOnId)!.bundle;
    const claim = received.entry![0]!.resource as Claim;
    expect(claim.id).toBe(followOnId);
    expect(claim.identifier).toEqual(((await gw.get(`/fhir/Claim/${rootId}`)).body as unknown as Claim).identifier);
    const included = received.entry!.find((e) => e.fullUrl === `urn:uuid:${ipm.id}`)?.resource as ClaimResponse;
    expect(included).toMatchObject({ resourceType: 'ClaimResponse', id: ipm.id, outcome: 'complete', request: { reference: `Claim/${rootId}` } });
    expect(total(included, 'benefit')).toBe(20000);
    expect(delivered.filter((d) => d.insurerId === 'demo-insurer' && d.claimId === rootId)).toHaveLength(1);

    // The mutuelle pays 50 % of what the IPM left (3 000 and 2 000), and says what it took into account.
    const mutuelle = insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${followOnId}`)).body)[0]!;
    expect(mutuelle.outcome).toBe('complete');
    expect([itemAmount(mutuelle, 1, 'eligible'), itemAmount(mutuelle, 1, 'benefit'), itemAmount(mutuelle, 2, 'eligible'), itemAmount(mutuelle, 2, 'benefit')]).toEqual([3000, 1500, 2000, 1000]);
    expect(total(mutuelle, 'benefit')).toBe(2500);
    expect(mutuelle.payment?.amount).toEqual({ value: 2500, currency: 'XOF' });
    expect(mutuelle.insurance?.[0]?.claimResponse).toEqual({ reference: `urn:uuid:${ipm.id}` });

    // The split on the original: first in progress (the mutuelle's share outstanding), then settled.
    const split = await splitWith(rootId, 'complete');
    const all = await splits(rootId);
    expect(all.map((s) => s.outcome)).toEqual(['partial', 'complete']);
    expect(sharesOf(all[0]!)).toEqual([
      { party: 'payer', payer: 'demo-insurer', state: 'adjudicated', amount: 20000, claim: `Claim/${rootId}`, claimResponse: `ClaimResponse/${ipm.id}` },
      { party: 'payer', payer: 'demo-mutuelle', state: 'outstanding', amount: undefined, claim: `Claim/${followOnId}`, claimResponse: undefined },
    ]);
    expect(sharesOf(split)).toEqual([
      { party: 'payer', payer: 'demo-insurer', state: 'adjudicated', amount: 20000, claim: `Claim/${rootId}`, claimResponse: `ClaimResponse/${ipm.id}` },
      { party: 'payer', payer: 'demo-mutuelle', state: 'adjudicated', amount: 2500, claim: `Claim/${followOnId}`, claimResponse: `ClaimResponse/${mutuelle.id}` },
      { party: 'patient', payer: undefined, state: undefined, amount: 2500, claim: undefined, claimResponse: undefined },
    ]);
    expect([total(split, 'submitted'), total(split, 'benefit'), total(split, 'copay')]).toEqual([25000, 22500, 2500]);
    expect(total(split, 'submitted')).toBe(total(split, 'benefit')! + total(split, 'copay')!);
    expect(split.request).toEqual({ reference: `Claim/${rootId}` });
    expect(split.insurance?.map((i) => i.claimResponse?.reference)).toEqual([`ClaimResponse/${ipm.id}`, `ClaimResponse/${mutuelle.id}`]);
    expect(processingStatus((await gw.get(`/fhir/Claim/${rootId}`)).body as unknown as Claim)).toBe('complete');

    // The operators' transaction log shows both payers' claims under the provider's invoice number, and finds them by it.
    const invoice = claim.identifier![0]!.value!;
    const log = await gw.get(`/admin/transactions?identifier=${encodeURIComponent(invoice)}`, 'demo-operator');
    expect(log.body).toMatchObject({ total: 2, transactions: [
      { kind: 'claim', id: followOnId, identifier: invoice, insurer: 'demo-mutuelle' }, { kind: 'claim', id: rootId, identifier: invoice, insurer: 'demo-insurer' },
    ] });
    expect((await gw.get(`/admin/transactions?identifier=${followOnId}`, 'demo-operator')).body).toMatchObject({ total: 1, transactions: [{ id: followOnId, identifier: invoice }] });
    shared = { rootId, followOnId, splitId: split.id! };
  }, 60_000);

  it('gives the provider every answer and the split by polling', async () => {
    const { rootId, followOnId, splitId } = shared;
    const polled = (await gw.get('/fhir/$poll?_count=500')).body as unknown as Bundle;
    const claims = (polled.entry ?? []).map((e) => (e.resource as ClaimResponse).request?.reference);
    expect(claims.filter((c) => c === `Claim/${rootId}`).length).toBe(3); // the IPM's answer and the two splits
    expect(claims).toContain(`Claim/${followOnId}`);
    expect((polled.entry ?? []).map((e) => e.resource!.id)).toContain(splitId);
  });

  it('pushes every answer and the split to a provider\'s callback', async () => {
    const answer = await gw.submit(twoPayers((claim) => { claim.provider = { identifier: { system: 'urn:passerelle:participant', value: 'cob-clinic' } }; }), 'cob-clinic');
    expect(answer.status).toBe(202);
    const rootId = claimIdOf(answer);
    const pushes = await eventually(async () => {
      const mine = pushed.filter((r) => r.request?.reference === `Claim/${rootId}`);
      if (mine.filter((r) => r.extension?.some((e) => e.url === CLAIM_SPLIT_EXTENSION)).at(-1)?.outcome !== 'complete') throw new Error('split not pushed yet');
      return mine;
    }, 20_000);
    const root = (await gw.get(`/fhir/Claim/${rootId}`, 'cob-clinic')).body as unknown as Claim;
    const followOnId = root.extension!.find((e) => e.url === COORDINATION_FOLLOW_ON_EXTENSION)!.valueReference!.reference!.replace('Claim/', '');
    const splitOutcomes = pushes.filter((r) => r.extension?.some((e) => e.url === CLAIM_SPLIT_EXTENSION)).map((r) => r.outcome).sort();
    expect(splitOutcomes).toEqual(['complete', 'partial']);
    expect(pushes.some((r) => r.outcome === 'complete' && total(r, 'benefit') === 20000 && !r.extension?.length)).toBe(true);
    await eventually(async () => expect(pushed.find((r) => r.request?.reference === `Claim/${followOnId}`)).toMatchObject({ outcome: 'complete' }));
  }, 60_000);

  it('shows each insurer only its own claim, and another provider nothing', async () => {
    const { rootId, followOnId, splitId } = shared;
    expect((await gw.get(`/fhir/Claim/${followOnId}`, 'demo-mutuelle')).status).toBe(200);
    expect((await gw.get(`/fhir/Claim/${rootId}`, 'demo-mutuelle')).status).toBe(404);
    expect((await gw.get(`/fhir/Claim/${followOnId}`, 'demo-insurer')).status).toBe(404);
    for (const path of [`/fhir/Claim/${rootId}`, `/fhir/Claim/${followOnId}`, `/fhir/ClaimResponse/${splitId}`]) {
      expectOutcome(await gw.get(path, 'demo-hospital'), 404, 'not-found');
    }
    expect(await responses(rootId, 'demo-hospital')).toEqual([]);
    expect(await responses(followOnId, 'demo-hospital')).toEqual([]);
    const polled = (await gw.get('/fhir/$poll?_count=500', 'demo-hospital')).body as unknown as Bundle;
    expect((polled.entry ?? []).map((e) => (e.resource as ClaimResponse).request?.reference)).not.toContain(`Claim/${rootId}`);
  });

  it('makes the follow-on a dead letter when the mutuelle is down, the split saying its share is outstanding; a replay settles it', async () => {
    await mutuelleFails(503, 2);
    const { rootId, followOnId, ipm } = await coordinated();
    await gw.waitForStatus(followOnId, ['failed']);
    // The IPM's answer stays the original's; the split says the mutuelle's share is outstanding.
    expect(processingStatus((await gw.get(`/fhir/Claim/${rootId}`)).body as unknown as Claim)).toBe('complete');
    expect(insurerResponses((await gw.get(`/fhir/ClaimResponse?request=Claim/${rootId}`)).body).map((r) => r.id)).toContain(ipm.id);
    const pending = (await splits(rootId)).at(-1)!;
    expect(pending.outcome).toBe('partial');
    expect(sharesOf(pending).map((s) => [s.payer, s.state, s.amount])).toEqual([['demo-insurer', 'adjudicated', 20000], ['demo-mutuelle', 'outstanding', undefined]]);
    expect(total(pending, 'copay')).toBeUndefined();
    expect(pending.disposition).toContain('outstanding');
    expect((await responses(followOnId)).at(-1)).toMatchObject({ outcome: 'error', error: [{ code: { coding: [{ code: 'delivery-failed' }] } }] });

    const token = await gw.token('demo-operator');
    const replay = await fetch(`${gw.url}/admin/claims/${followOnId}/replay`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(replay.status).toBe(200);
    await gw.waitForStatus(followOnId, ['complete']);
    const split = await splitWith(rootId, 'complete');
    expect(sharesOf(split).map((s) => [s.party, s.payer, s.state, s.amount])).toEqual([
      ['payer', 'demo-insurer', 'adjudicated', 20000], ['payer', 'demo-mutuelle', 'adjudicated', 2500], ['patient', undefined, undefined, 2500],
    ]);
  }, 60_000);

  it('settles the split when the provider cancels the follow-on: that payer pays nothing, the rest is the patient\'s', async () => {
    await mutuelleFails(503, 2);
    const { rootId, followOnId } = await coordinated();
    await gw.waitForStatus(followOnId, ['failed']);
    expect((await splits(rootId)).at(-1)!.outcome).toBe('partial');

    const cancelTask = { resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/financialtaskcode', code: 'cancel' }] }, focus: { reference: `Claim/${followOnId}` } };
    expect((await gw.post('/fhir/Task', cancelTask)).status).toBe(200);
    const split = await splitWith(rootId, 'complete');
    expect(sharesOf(split).map((s) => [s.party, s.payer, s.state, s.amount, s.claim])).toEqual([
      ['payer', 'demo-insurer', 'adjudicated', 20000, `Claim/${rootId}`], ['payer', 'demo-mutuelle', 'cancelled', 0, `Claim/${followOnId}`], ['patient', undefined, undefined, 5000, undefined],
    ]);
    expect([total(split, 'submitted'), total(split, 'benefit'), total(split, 'copay')]).toEqual([25000, 20000, 5000]);
    expect(split.disposition).toMatch(/the claim to Mutuelle Démo was cancelled \(pays 0 XOF\); the patient pays 5000 XOF/);
    // Written with the cancellation, once: cancelling again changes nothing.
    expect((await gw.post('/fhir/Task', cancelTask)).status).toBe(200);
    expect((await splits(rootId)).filter((r) => r.outcome === 'complete')).toHaveLength(1);
  }, 60_000);

  it('leaves the rest to the patient when the mutuelle refuses the claim', async () => {
    // The mutuelle answers the follow-on with a refusal (HTTP 422): final at once, an "error" answer.
    await mutuelleFails(422, 1);
    const { rootId, followOnId } = await coordinated();
    await gw.waitForStatus(followOnId, ['error']);
    expect((await responses(followOnId)).at(-1)).toMatchObject({ outcome: 'error', error: [{ code: { coding: [{ code: 'insurer-refused' }] } }] });
    const split = await splitWith(rootId, 'complete');
    expect(sharesOf(split).map((s) => [s.party, s.payer, s.state, s.amount])).toEqual([
      ['payer', 'demo-insurer', 'adjudicated', 20000], ['payer', 'demo-mutuelle', 'refused', 0], ['patient', undefined, undefined, 5000],
    ]);
    expect([total(split, 'submitted'), total(split, 'benefit'), total(split, 'copay')]).toEqual([25000, 20000, 5000]);
  }, 60_000);

  it('does not split a claim its focal insurer refused: the next payer is not asked', async () => {
    const answer = await gw.submit(twoPayers((claim) => {
      claim.item![0]!.productOrService = { coding: [{ system: 'urn:passerelle:demo:tariff', code: 'COSM01' }] };
      claim.item![1]!.productOrService = { coding: [{ system: 'urn:passerelle:demo:tariff', code: 'COSM02' }] };
    }));
    const rootId = claimIdOf(answer);
    await gw.waitForStatus(rootId, ['error']);
    const root = (await gw.get(`/fhir/Claim/${rootId}`)).body as unknown as Claim;
    expect(root.extension?.some((e) => e.url === COORDINATION_FOLLOW_ON_EXTENSION)).toBe(false);
    expect(await splits(rootId)).toEqual([]);
  }, 30_000);

  it('refuses claims whose payers cannot be coordinated, naming the entry', async () => {
    const payor = (bundle: Bundle, index: number) => (bundle.entry![index]!.resource as { payor: Reference[] }).payor;
    const unknownPayer = twoPayers((_claim, bundle) => { payor(bundle, 3)[0] = { identifier: { system: 'urn:passerelle:participant', value: 'mutuelle-inconnue' } }; });
    const [unknown] = expectOutcome(await gw.submit(unknownPayer), 422, 'coordination-invalid');
    expect(unknown!.expression).toEqual(['Bundle.entry[0].resource.insurance[1].coverage']);
    const providerAsPayer = twoPayers((_claim, bundle) => { payor(bundle, 3)[0] = { identifier: { system: 'urn:passerelle:participant', value: 'demo-hospital' } }; });
    expectOutcome(await gw.submit(providerAsPayer), 422, 'coordination-invalid');
    // A Coverage the IPM pays meets the IPM's pack (its member number), whichever entry it is.
    const twice = twoPayers((_claim, bundle) => {
      payor(bundle, 3)[0] = { identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } };
      (bundle.entry![3]!.resource as { identifier: Identifier[] }).identifier.push({ system: 'urn:passerelle:demo-insurer:member', value: 'M0001' });
    });
    expect(expectOutcome(await gw.submit(twice), 422, 'coordination-invalid')[0]!.expression).toEqual(['Bundle.entry[0].resource.insurance[1]']);
    // One focal entry, whose Coverage's payor is the claim's insurer: the base pack's rules already say so.
    const rules = (answer: HttpAnswer) => expectOutcome(answer, 422, 'validation').map((i) => i.details?.coding?.[1]?.code);
    expect(rules(await gw.submit(twoPayers((claim) => { claim.insurance![1]!.focal = true; })))).toContain('pas-claim-focal');
    expect(rules(await gw.submit(twoPayers((claim) => { claim.insurance![0]!.focal = false; claim.insurance![1]!.focal = true; })))).toContain('pas-bundle-payor');
    const withAnswer = twoPayers((claim) => { claim.insurance![1]!.claimResponse = { reference: 'ClaimResponse/earlier' }; });
    expect(expectOutcome(await gw.submit(withAnswer), 422, 'coordination-invalid')[0]!.expression).toEqual(['Bundle.entry[0].resource.insurance[1].claimResponse']);
  }, 30_000);

  it("refuses at submission a later payer whose format cannot carry the earlier payer's adjudication, before any payer is asked", async () => {
    // The CSV mutuelle takes the claim on its own, but its batch format has no column for the IPM's answer.
    const csvLater = twoPayers((_claim, bundle) => {
      (bundle.entry![3]!.resource as { payor: Reference[] }).payor[0] = { identifier: { system: 'urn:passerelle:participant', value: 'demo-mutuelle-csv' } };
    });
    const before = delivered.length;
    const issues = expectOutcome(await gw.submit(csvLater), 422, 'mapping-unsupported-element');
    const carried = issues.find((i) => i.expression?.[0] === 'Bundle.entry[0].resource.insurance[0].claimResponse');
    expect(carried?.diagnostics).toMatch(/^Mutuelle Démo \(fichiers CSV\) is a later payer of this claim \(Claim\.insurance\[1\]\)/);
    const french = expectOutcome(await gw.submit(csvLater, 'demo-clinic', { 'Accept-Language': 'fr' }), 422, 'mapping-unsupported-element');
    expect(french.find((i) => i.expression?.[0] === 'Bundle.entry[0].resource.insurance[0].claimResponse')?.diagnostics).toMatch(/est un payeur suivant de cette demande/);
    expect(delivered.length).toBe(before); // nothing went to the IPM either

    // Sent to the CSV mutuelle alone (not coordinated), the same claim has nothing its format cannot carry there.
    const alone = twoPayers((claim, bundle) => {
      claim.insurance = [claim.insurance![1]!];
      claim.insurance[0]!.focal = true;
      claim.insurer = { identifier: { system: 'urn:passerelle:participant', value: 'demo-mutuelle-csv' } };
      (bundle.entry![3]!.resource as { payor: Reference[] }).payor[0] = { identifier: { system: 'urn:passerelle:participant', value: 'demo-mutuelle-csv' } };
    });
    const answer = await gw.submit(alone);
    expect(JSON.stringify(answer.body).includes('insurance[0].claimResponse')).toBe(false);
  }, 30_000);
});

describe('coordination of benefits in the store (PGlite)', () => {
  it('writes one follow-on per claim with its split, and reads the coordination back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-cob-'));
    const db = await openDatabase({ dataDir });
    try {
      await migrate(db);
      for (const [id, kind] of [['clinic', 'provider'], ['ipm', 'insurer'], ['mutuelle', 'insurer']]) {
        await db.query(`insert into participants (id, kind, name, organization) values ($1, $2, $1, '{}')`, [id, kind]);
      }
      const claims = new ClaimRepository(db);
      const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Claim' } as Claim }] };
      const queued = (id: string) => ({ resourceType: 'ClaimResponse', id, outcome: 'queued' }) as ClaimResponse & { id: string };
      const rootId = randomUUID();
      await claims.insert({ id: rootId, providerId: 'clinic', insurerId: 'ipm', identifier: { system: 'urn:x', value: '1' }, bundle, acceptedResponse: queued(randomUUID()), warnings: [], jobs: [] });
      const step = (answerId: string) => {
        const followOnId = randomUUID();
        return {
          followOn: {
            id: followOnId, providerId: 'clinic', insurerId: 'mutuelle', identifier: { system: 'urn:follow-on', value: followOnId }, bundle,
            acceptedResponse: queued(randomUUID()), warnings: [], jobs: [{ queue: 'delivery-mutuelle', jobName: 'deliver-claim', jobId: `claim-${followOnId}`, payload: { claimId: followOnId } }],
            coordination: { root: rootId, follows: rootId },
          },
          split: { claimId: rootId, response: { resourceType: 'ClaimResponse', id: randomUUID(), outcome: 'partial' } as ClaimResponse & { id: string }, jobs: [] },
          answerId,
        };
      };
      const first = step(randomUUID());
      const recorded = await claims.recordInsurerResponse(rootId, { resourceType: 'ClaimResponse', id: first.answerId, outcome: 'complete' } as ClaimResponse & { id: string },
        'hash-1', 'complete', () => [], { coordination: first });
      expect(recorded).toMatchObject({ created: true, followOn: first.followOn.id, split: first.split.response.id });
      // An updated answer of the same claim sends nothing more.
      const second = step(randomUUID());
      const again = await claims.recordInsurerResponse(rootId, { resourceType: 'ClaimResponse', id: second.answerId, outcome: 'complete', disposition: 'updated' } as ClaimResponse & { id: string },
        'hash-2', 'complete', () => [], { coordination: second });
      expect([again.created, again.followOn, again.split]).toEqual([true, undefined, undefined]);

      expect((await claims.get(rootId))?.followOns).toEqual([first.followOn.id]);
      expect(await claims.get(first.followOn.id)).toMatchObject({ status: 'queued', coordinationRoot: rootId, followsClaim: rootId, followOns: [] });
      const chain = await claims.coordination(rootId);
      expect(chain.map((c) => [c.claim.id, c.answer?.id])).toEqual([[rootId, second.answerId], [first.followOn.id, undefined]]);
      expect((await claims.responses(rootId)).map((r) => r.id)).toContain(first.split.response.id);
      const outbox = await db.query<{ job_id: string }>('select job_id from outbox');
      expect(outbox.rows.map((r) => r.job_id)).toEqual([`claim-${first.followOn.id}`]);
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
