/**
 * The pieces of a ClaimResponse built from an insurer's reply: adjudication entries in the HL7
 * categories, totals, the payment block. Shapes only; map-reply.ts decides what goes in.
 */
import type { ClaimResponse, ClaimResponseItemAdjudication, ClaimResponseTotal, CodeableConcept, Money } from '@medplum/fhirtypes';

/** HL7 adjudication categories (submitted, copay, benefit). */
export const ADJUDICATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/adjudication';

/** HL7 payment types. */
export const PAYMENT_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/ex-paymenttype';

/** The amount categories a reply may carry, in the order they are written. */
export const AMOUNT_CATEGORIES = ['submitted', 'copay', 'benefit'] as const;
export type AmountCategory = (typeof AMOUNT_CATEGORIES)[number];

/** Amounts of a line or of the claim, by category. */
export type Amounts = Partial<Record<AmountCategory, number>>;

/** An amount in the spec's currency (checked as an ISO 4217 code when the spec was loaded). */
function money(value: number, currency: string): Money {
  return { value, currency: currency as Money['currency'] };
}

function category(code: AmountCategory): CodeableConcept {
  return { coding: [{ system: ADJUDICATION_CATEGORY_SYSTEM, code }] };
}

/**
 * A line's adjudication: one entry per amount given. The reason (a rejected line) sits on the benefit
 * entry, as the insurer's "why nothing is paid", or on the first entry when there is no benefit.
 */
export function adjudication(amounts: Amounts, currency: string, reason?: CodeableConcept): ClaimResponseItemAdjudication[] {
  const entries: ClaimResponseItemAdjudication[] = AMOUNT_CATEGORIES.filter((c) => amounts[c] !== undefined)
    .map((c) => ({ category: category(c), amount: money(amounts[c]!, currency) }));
  if (reason && entries.length > 0) {
    const target = entries.find((e) => e.category.coding?.[0]?.code === 'benefit') ?? entries[0]!;
    target.reason = reason;
  }
  return entries;
}

/** The claim's totals, one entry per amount given. */
export function totals(amounts: Amounts, currency: string): ClaimResponseTotal[] {
  return AMOUNT_CATEGORIES.filter((c) => amounts[c] !== undefined).map((c) => ({ category: category(c), amount: money(amounts[c]!, currency) }));
}

/** The payment block, present only when the insurer pays something. */
export function payment(benefit: number | undefined, currency: string): Pick<ClaimResponse, 'payment'> {
  if (benefit === undefined || benefit <= 0) return {};
  return { payment: { type: { coding: [{ system: PAYMENT_TYPE_SYSTEM, code: 'complete' }] }, amount: money(benefit, currency) } };
}

/** A code from the reply as a CodeableConcept of the spec's system. */
export function coded(system: string, code: string, display?: string): CodeableConcept {
  return { coding: [{ system, code, ...(display === undefined ? {} : { display }) }] };
}
