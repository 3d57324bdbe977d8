/**
 * The days a claim's services were given, as the checks before a claim is queued read them
 * (eligibility, prior authorisations).
 */
import type { Claim } from '@medplum/fhirtypes';

/** The first and last service dates: items' serviced dates or periods, else the billable period, else created. */
export function serviceDates(claim: Claim): { start: string; end: string } {
  const dates: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) dates.push(value.slice(0, 10));
  };
  for (const item of claim.item ?? []) {
    add(item.servicedDate);
    add(item.servicedPeriod?.start);
    add(item.servicedPeriod?.end);
  }
  if (dates.length === 0) {
    add(claim.billablePeriod?.start);
    add(claim.billablePeriod?.end);
  }
  if (dates.length === 0) add(claim.created);
  if (dates.length === 0) dates.push(new Date().toISOString().slice(0, 10));
  dates.sort();
  return { start: dates[0]!, end: dates.at(-1)! };
}
