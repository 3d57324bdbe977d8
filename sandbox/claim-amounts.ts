// Reading the numbers and dates the rules need out of a Claim. Amounts are XOF, which has no minor
// units, so every amount is rounded to whole francs as soon as it is read.
import type { Bundle, Claim, ClaimItem, ClaimResponse } from '@medplum/fhirtypes';
import { resolveReference } from './bundle-references.js';

/** Rounds to whole francs, halves upwards (Math.round), the rule for every XOF amount here. */
export function francs(value: number): number {
  return Math.round(value);
}

/**
 * Net amount of one Claim item in whole francs: item.net.value, else unitPrice × quantity × factor
 * (quantity and factor default to 1, as in FHIR's definition of net).
 * @returns undefined when the item carries no usable amount.
 */
export function itemNet(item: ClaimItem): number | undefined {
  const net = item.net?.value;
  if (typeof net === 'number' && Number.isFinite(net)) {
    return francs(net);
  }
  const unitPrice = item.unitPrice?.value;
  if (typeof unitPrice !== 'number' || !Number.isFinite(unitPrice)) {
    return undefined;
  }
  const quantity = typeof item.quantity?.value === 'number' ? item.quantity.value : 1;
  const factor = typeof item.factor === 'number' ? item.factor : 1;
  return francs(unitPrice * quantity * factor);
}

/** Sum of the item nets in whole francs (items without an amount count as 0). */
export function sumOfItemNets(claim: Claim): number {
  return (claim.item ?? []).reduce((sum, item) => sum + (itemNet(item) ?? 0), 0);
}

/** Claim total used for the pend threshold: Claim.total.value, else the sum of the item nets. */
export function claimTotal(claim: Claim): number {
  const total = claim.total?.value;
  return typeof total === 'number' && Number.isFinite(total) ? francs(total) : sumOfItemNets(claim);
}

/**
 * Date of service (YYYY-MM-DD) that coverage is checked on: billablePeriod.start, else the first
 * item's servicedDate or servicedPeriod.start, else Claim.created, else today by the sandbox clock.
 */
export function serviceDate(claim: Claim, now: Date): string {
  const first = claim.item?.[0];
  const candidates = [claim.billablePeriod?.start, first?.servicedDate, first?.servicedPeriod?.start, claim.created];
  const found = candidates.find((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}/.test(d));
  return (found ?? now.toISOString()).slice(0, 10);
}

/** True when a YYYY-MM-DD date falls inside a period of YYYY-MM-DD dates, both ends included. */
export function dateInPeriod(date: string, period: { start: string; end: string }): boolean {
  // Same-length ISO dates compare correctly as strings.
  return date >= period.start.slice(0, 10) && date <= period.end.slice(0, 10);
}

/** What the earlier payers of a claim paid (coordination of benefits), in whole francs. */
export interface EarlierPayments {
  /** Benefit per item sequence, summed over the earlier payers. */
  readonly byItem: ReadonlyMap<number, number>;
  /** Their total benefit. */
  readonly total: number;
}

/** A benefit amount read defensively (it comes from the request), in whole francs; 0 when absent. */
function benefitOf(entries: unknown): number {
  const list: unknown[] = Array.isArray(entries) ? entries : [];
  const found = list.find((e) => Array.isArray((e as { category?: { coding?: unknown } })?.category?.coding)
    && ((e as { category: { coding: Array<{ code?: unknown }> } }).category.coding).some((c) => c?.code === 'benefit'));
  const value = (found as { amount?: { value?: unknown } } | undefined)?.amount?.value;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? francs(value) : 0;
}

/**
 * The earlier payers' adjudication a claim carries: its insurance entries (not the focal one) whose
 * claimResponse references a ClaimResponse inside the Bundle. Only answers that adjudicated (outcome
 * complete or partial) count; each one's benefit per item and in total (total benefit, else the sum of
 * its items, else its payment).
 * @returns undefined when the claim carries none: a first payer's claim.
 */
export function earlierPayments(bundle: Bundle, claim: Claim): EarlierPayments | undefined {
  const insurance = Array.isArray(claim.insurance) ? claim.insurance : [];
  const answers = insurance
    .filter((entry) => entry?.focal !== true && entry?.claimResponse)
    .map((entry) => resolveReference<ClaimResponse>(bundle, entry.claimResponse, 'ClaimResponse'))
    .filter((answer): answer is ClaimResponse => answer !== undefined);
  if (answers.length === 0) {
    return undefined;
  }
  const byItem = new Map<number, number>();
  let total = 0;
  for (const answer of answers.filter((a) => a.outcome === 'complete' || a.outcome === 'partial')) {
    let items = 0;
    for (const item of Array.isArray(answer.item) ? answer.item : []) {
      if (typeof item?.itemSequence !== 'number') continue;
      const benefit = benefitOf(item.adjudication);
      byItem.set(item.itemSequence, (byItem.get(item.itemSequence) ?? 0) + benefit);
      items += benefit;
    }
    const paid = typeof answer.payment?.amount?.value === 'number' ? francs(answer.payment.amount.value) : 0;
    total += benefitOf(answer.total) || items || paid;
  }
  return { byItem, total };
}
