/**
 * Payments through the gateway: the sandbox insurer's payment run settles every adjudicated claim with
 * one transfer per provider, a PaymentReconciliation (a detail per claim) and a PaymentNotice. The
 * gateway links them to the claims, pushes them to a provider's callback and keeps them in its mailbox;
 * another provider sees nothing of them; payments that do not add up, or name claims the insurer does
 * not have, are refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Bundle, PaymentNotice, PaymentReconciliation, Resource } from '@medplum/fhirtypes';
import { expectOutcome } from './outcome-assertions.js';
import { claimBundle, eventually, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

let gw: TestGateway;
let server: Server;
let seedDir: string;
const pushed: Array<{ resourceType: string; id: string }> = [];

beforeAll(async () => {
  const app = express();
  app.post('/callback', express.json({ type: '*/*' }), (req, res) => {
    pushed.push({ resourceType: req.body.resourceType as string, id: req.body.id as string });
    res.status(204).end();
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  seedDir = mkdtempSync(join(tmpdir(), 'passerelle-seed-'));
  const seedFile = join(seedDir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify({
    participants: [{ id: 'test-pharmacy', kind: 'provider', name: 'Test pharmacy', callbackUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
      callbackSecret: 'callback-secret-of-test-pharmacy-0123456789', clients: [{ clientId: 'test-pharmacy', secret: 'test-pharmacy-secret' }] }],
  }));
  gw = await startTestGateway({ env: { SEED_FILE: seedFile } });
});
afterAll(async () => {
  await gw?.stop();
  server?.close();
  rmSync(seedDir, { recursive: true, force: true });
});

const entriesOf = <T extends Resource>(answer: { body: Record<string, unknown> }) => ((answer.body as unknown as Bundle).entry ?? []).map((e) => e.resource as T & { id: string });

async function completedClaim(provider: string): Promise<string> {
  const claimId = claimIdOf(await gw.submit(claimBundle('claim-bundle-covered-member', provider === 'demo-clinic' ? {} : { provider }), provider));
  await gw.waitForStatus(claimId, ['complete'], provider);
  return claimId;
}

async function paymentRun(insurer = 'demo-insurer') {
  const answer = await gw.sandbox('/_control/payments', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer }) });
  expect(answer.status).toBe(200);
  return answer.body as unknown as { payments: Array<{ reconciliation: string; notice: string; claims: string[]; amount: number }> };
}

function reconciliation(claims: Array<{ id: string; amount: number }>, total = claims.reduce((s, c) => s + c.amount, 0)): PaymentReconciliation {
  const day = new Date().toISOString().slice(0, 10);
  return {
    resourceType: 'PaymentReconciliation', status: 'active', created: new Date().toISOString(), paymentDate: day,
    paymentAmount: { value: total, currency: 'XOF' },
    detail: claims.map((c) => ({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/payment-type', code: 'payment' }] }, request: { reference: `Claim/${c.id}` }, amount: { value: c.amount, currency: 'XOF' } })),
  };
}

describe('payments', () => {
  it("settles each provider's claims in one transfer, linked to the claims, pushed and polled, and shown to no one else", async () => {
    const clinicClaims = [await completedClaim('demo-clinic'), await completedClaim('demo-clinic')];
    const pharmacyClaim = await completedClaim('test-pharmacy');
    const run = await paymentRun();
    expect(run.payments).toHaveLength(2);
    const clinicPayment = run.payments.find((p) => p.claims.includes(clinicClaims[0]!))!;
    expect(clinicPayment.claims.sort()).toEqual([...clinicClaims].sort());
    expect(clinicPayment.amount).toBe(36_800); // 18 400 XOF covered on each: 80 % of 23 000

    // The clinic reads it by claim, and by polling (reconciliation then notice); it adds up.
    const found = entriesOf<PaymentReconciliation>(await gw.get(`/fhir/PaymentReconciliation?claim=Claim/${clinicClaims[1]}`));
    expect(found.map((r) => r.id)).toEqual([clinicPayment.reconciliation]);
    expect(found[0]).toMatchObject({
      paymentAmount: { value: 36_800, currency: 'XOF' }, paymentIssuer: { identifier: { value: 'demo-insurer' } }, requestor: { identifier: { value: 'demo-clinic' } },
    });
    expect(found[0]!.detail?.map((d) => d.request?.reference).sort()).toEqual(clinicClaims.map((id) => `Claim/${id}`).sort());
    const notices = entriesOf<PaymentNotice>(await gw.get(`/fhir/PaymentNotice?claim=Claim/${clinicClaims[0]}`));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ payment: { reference: `PaymentReconciliation/${clinicPayment.reconciliation}` }, amount: { value: 36_800 }, recipient: { identifier: { value: 'demo-clinic' } } });
    const mailbox = entriesOf(await gw.get('/fhir/$poll?_count=500')).map((r) => `${r.resourceType}/${r.id}`);
    const inOrder = [`PaymentReconciliation/${clinicPayment.reconciliation}`, `PaymentNotice/${clinicPayment.notice}`];
    expect(mailbox.filter((m) => inOrder.includes(m))).toEqual(inOrder);

    // The pharmacy has a callback: both reach it by push.
    const pharmacyPayment = run.payments.find((p) => p.claims.includes(pharmacyClaim))!;
    await eventually(async () => expect(pushed).toEqual(expect.arrayContaining([
      { resourceType: 'PaymentReconciliation', id: pharmacyPayment.reconciliation }, { resourceType: 'PaymentNotice', id: pharmacyPayment.notice }])));

    // Nothing of the clinic's payment for the pharmacy or another insurer; a second run pays nothing again.
    expectOutcome(await gw.get(`/fhir/PaymentReconciliation/${clinicPayment.reconciliation}`, 'test-pharmacy'), 404, 'not-found');
    expect(entriesOf(await gw.get(`/fhir/PaymentNotice?claim=Claim/${clinicClaims[0]}`, 'test-pharmacy'))).toEqual([]);
    expectOutcome(await gw.get(`/fhir/PaymentNotice/${clinicPayment.notice}`, 'demo-mutuelle'), 404, 'not-found');
    expect(entriesOf(await gw.get('/fhir/$poll?_count=500', 'test-pharmacy')).map((r) => r.id)).not.toContain(clinicPayment.reconciliation);
    expect((await paymentRun()).payments).toEqual([]);

    // The history of each claim shows it paid.
    const events = ((await gw.get(`/admin/claims/${clinicClaims[0]}`, 'demo-operator')).body.events as Array<{ status: string }>).map((e) => e.status);
    expect(events).toEqual(expect.arrayContaining(['complete', 'payment-reconciled', 'payment-notified']));
  }, 60_000);

  it('refuses payments that do not add up, mix providers, or name claims or reconciliations the insurer does not have', async () => {
    const [a, b] = [await completedClaim('demo-clinic'), await completedClaim('demo-clinic')];
    const other = await completedClaim('demo-hospital');
    expectOutcome(await gw.post('/fhir/PaymentReconciliation', reconciliation([{ id: a, amount: 20_000 }, { id: b, amount: 20_000 }], 45_000), 'demo-insurer'), 422, 'payment-amount-mismatch');
    expectOutcome(await gw.post('/fhir/PaymentReconciliation', reconciliation([{ id: a, amount: 20_000 }, { id: other, amount: 20_000 }]), 'demo-insurer'), 422, 'exchange-mixed-recipients');
    expectOutcome(await gw.post('/fhir/PaymentReconciliation', reconciliation([{ id: a, amount: 20_000 }]), 'demo-mutuelle'), 422, 'exchange-claim-unknown');
    expectOutcome(await gw.post('/fhir/PaymentReconciliation', reconciliation([]), 'demo-insurer'), 422, 'exchange-claim-unknown');
    expectOutcome(await gw.post('/fhir/PaymentReconciliation', reconciliation([{ id: a, amount: 20_000 }]), 'demo-clinic'), 403, 'insufficient-scope');

    const accepted = await gw.post('/fhir/PaymentReconciliation', reconciliation([{ id: a, amount: 20_000 }, { id: b, amount: 20_000 }]), 'demo-insurer');
    expect(accepted.status).toBe(201);
    const notice = (payment: string): PaymentNotice => ({
      resourceType: 'PaymentNotice', status: 'active', created: new Date().toISOString(), payment: { reference: payment },
      recipient: { identifier: { system: 'urn:passerelle:participant', value: 'demo-clinic' } }, amount: { value: 40_000, currency: 'XOF' },
    });
    expectOutcome(await gw.post('/fhir/PaymentNotice', notice('PaymentReconciliation/00000000-0000-4000-8000-000000000000'), 'demo-insurer'), 422, 'exchange-reference-unknown');
    expectOutcome(await gw.post('/fhir/PaymentNotice', notice(`PaymentReconciliation/${accepted.body.id as string}`), 'demo-mutuelle'), 422, 'exchange-reference-unknown');
    const { amount: _amount, ...withoutAmount } = notice(`PaymentReconciliation/${accepted.body.id as string}`);
    expectOutcome(await gw.post('/fhir/PaymentNotice', withoutAmount, 'demo-insurer'), 422, 'validation');
    expect((await gw.post('/fhir/PaymentNotice', notice(`PaymentReconciliation/${accepted.body.id as string}`), 'demo-insurer')).status).toBe(201);
  }, 60_000);
});
