/**
 * A FHIR Coverage as the registry keeps it: what an insurer's Coverage search, its incremental sync and
 * an NDJSON roster all turn into. Only what eligibility needs is kept: ids, status, period, plan.
 */
import type { Coverage, Identifier } from '@medplum/fhirtypes';
import type { CoverageStatus, RegistryCoverage } from './member-store.js';

const PLAN_CLASS = 'plan';

/** Why a Coverage cannot be kept, in words for an import report. */
export class CoverageRejected extends Error {}

/**
 * The registry row of a Coverage. The member number is the Coverage identifier of the member system,
 * else the beneficiary's (by its reference's identifier, or beneficiaryMember for a Patient read before).
 * @throws CoverageRejected naming the element at fault.
 */
export function registryCoverageOf(coverage: Coverage, memberSystem: string, beneficiaryMember?: (reference: string) => string | undefined): RegistryCoverage {
  if (typeof coverage.id !== 'string' || !coverage.id) throw new CoverageRejected('Coverage.id is missing');
  const memberId = identifierValue(coverage.identifier, memberSystem)
    ?? identifierValue(coverage.beneficiary?.identifier ? [coverage.beneficiary.identifier] : undefined, memberSystem)
    ?? (typeof coverage.beneficiary?.reference === 'string' ? beneficiaryMember?.(coverage.beneficiary.reference) : undefined);
  if (!memberId) throw new CoverageRejected(`Coverage/${coverage.id} has no member number (identifier of system ${memberSystem} on the Coverage or its beneficiary)`);
  const status = statusOf(coverage.status);
  if (!status) throw new CoverageRejected(`Coverage/${coverage.id}: status "${String(coverage.status)}" is not active or cancelled`);
  const periodStart = dateOf(coverage.period?.start);
  const periodEnd = dateOf(coverage.period?.end);
  if (coverage.period?.start !== undefined && !periodStart) throw new CoverageRejected(`Coverage/${coverage.id}: period.start is not a date`);
  if (coverage.period?.end !== undefined && !periodEnd) throw new CoverageRejected(`Coverage/${coverage.id}: period.end is not a date`);
  if (periodStart && periodEnd && periodEnd < periodStart) throw new CoverageRejected(`Coverage/${coverage.id}: period.end is before period.start`);
  const plan = coverage.class?.find((c) => c.type?.coding?.some((t) => t.code === PLAN_CLASS))?.value;
  const relationship = coverage.relationship?.coding?.[0]?.code;
  return {
    coverageId: coverage.id, memberSystem, memberId, status,
    ...(typeof coverage.subscriberId === 'string' ? { subscriberId: coverage.subscriberId } : {}),
    ...(typeof relationship === 'string' ? { relationship } : {}),
    ...(typeof plan === 'string' ? { plan } : {}),
    ...(periodStart ? { periodStart } : {}),
    ...(periodEnd ? { periodEnd } : {}),
  };
}

/** The value of the first identifier of this system. */
export function identifierValue(identifiers: readonly Identifier[] | undefined, system: string): string | undefined {
  if (!Array.isArray(identifiers)) return undefined;
  const value = identifiers.find((i) => i?.system === system && typeof i.value === 'string' && i.value.trim())?.value;
  return value?.trim();
}

function statusOf(status: unknown): CoverageStatus | undefined {
  return status === 'active' ? 'active' : status === 'cancelled' ? 'cancelled' : undefined;
}

/** The date part of a FHIR date or dateTime (YYYY-MM-DD), or undefined. Partial dates are not dates here. */
function dateOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match) return undefined;
  const date = new Date(`${match[0]}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== match[0] ? undefined : match[0];
}
