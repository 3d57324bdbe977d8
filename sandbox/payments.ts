// Payment runs, as an insurer's accounts department makes them: every adjudicated claim with something
// to pay and not paid yet is settled by one bank transfer per provider, described by a
// PaymentReconciliation (one detail per claim) and announced by a PaymentNotice, both posted to the
// gateway, which links them to the claims and passes them on to the provider. Started through the
// control API (POST /_control/payments); the rule is in docs/sandbox.md.
import { inBothLanguages } from './texts.js';
import type { ClaimResponse, Organization, PaymentNotice, PaymentReconciliation, Reference } from '@medplum/fhirtypes';
import type { SandboxContext } from './context.js';

/** What one payment run did. */
export interface PaymentRun {
  readonly payments: ReadonlyArray<{ readonly reconciliation: string; readonly notice: string; readonly claims: readonly string[]; readonly amount: number }>;
}

const PAYMENT_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/payment-type';
const PAYMENT_STATUS_SYSTEM = 'http://terminology.hl7.org/CodeSystem/paymentstatus';

/** Pays this insurer's unpaid adjudicated claims, one transfer per provider. */
export async function runPayments(ctx: SandboxContext, insurerId: string): Promise<PaymentRun> {
  const client = ctx.gateway(insurerId);
  if (!client) throw new Error(`no gateway client for insurer ${insurerId}`);
  const byProvider = new Map<string, Array<{ claimId: string; response: ClaimResponse }>>();
  for (const due of ctx.answers.unpaid(insurerId)) {
    const key = JSON.stringify(due.response.requestor ?? null);
    byProvider.set(key, [...(byProvider.get(key) ?? []), due]);
  }
  const payments: Array<PaymentRun['payments'][number]> = [];
  for (const [provider, claims] of byProvider) {
    const requestor = JSON.parse(provider) as Reference<Organization> | null;
    const now = ctx.now();
    const day = now.toISOString().slice(0, 10);
    const amount = claims.reduce((sum, c) => sum + (c.response.payment?.amount?.value ?? 0), 0);
    const transfer = ctx.newId();
    const reconciliation: PaymentReconciliation = {
      resourceType: 'PaymentReconciliation',
      id: transfer,
      identifier: [{ system: `urn:passerelle:${insurerId}:payment`, value: transfer }],
      status: 'active',
      created: now.toISOString(),
      paymentDate: day,
      paymentAmount: { value: amount, currency: 'XOF' },
      paymentIdentifier: { system: `urn:passerelle:${insurerId}:bank-transfer`, value: `VIR-${transfer.slice(0, 8).toUpperCase()}` },
      outcome: 'complete',
      ...inBothLanguages('disposition', { en: `Transfer of ${amount} XOF for ${claims.length} claim(s)`, fr: `Virement de ${amount} XOF pour ${claims.length} demande(s)` }),
      detail: claims.map((c) => ({
        type: { coding: [{ system: PAYMENT_TYPE_SYSTEM, code: 'payment' }] },
        request: { reference: `Claim/${c.claimId}` },
        response: { identifier: { system: `urn:passerelle:${insurerId}:claim-response`, value: c.response.id ?? '' } },
        date: day,
        amount: { value: c.response.payment?.amount?.value ?? 0, currency: 'XOF' },
      })),
    };
    const reconciliationId = await client.post(reconciliation, `sandbox-payment-${transfer}`, ctx.closing);
    ctx.answers.markPaid(insurerId, claims.map((c) => c.claimId));
    const notice: PaymentNotice = {
      resourceType: 'PaymentNotice',
      id: ctx.newId(),
      status: 'active',
      created: now.toISOString(),
      payment: { reference: `PaymentReconciliation/${reconciliationId ?? transfer}` },
      paymentDate: day,
      paymentStatus: { coding: [{ system: PAYMENT_STATUS_SYSTEM, code: 'paid' }] },
      recipient: requestor ?? { display: 'provider' },
      amount: { value: amount, currency: 'XOF' },
    };
    const noticeId = await client.post(notice, `sandbox-payment-notice-${transfer}`, ctx.closing);
    ctx.logger.info({ insurerId, reconciliation: reconciliationId, claims: claims.length }, 'payment run: transfer posted');
    payments.push({ reconciliation: reconciliationId ?? '', notice: noticeId ?? '', claims: claims.map((c) => c.claimId), amount });
  }
  return { payments };
}
