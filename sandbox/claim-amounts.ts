// Reading the numbers and dates the rules need out of a Claim. Amounts are XOF, which has no minor
// units, so every amount is rounded to whole francs as soon as it is read.
import type { Claim, ClaimItem } from '@medplum/fhirtypes';

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
