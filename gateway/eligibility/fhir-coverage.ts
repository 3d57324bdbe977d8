/**
 * A FHIR Coverage from an insurer's API (its Coverage search, its incremental sync) as the registry keeps
 * it, through the one conversion rosters use (roster.ts coverageFromFhir): ids, status, period, plan.
 */
import type { Coverage } from '@medplum/fhirtypes';
import type { RegistryCoverage } from './member-store.js';
import { coverageFromFhir, identifierValue, isObject } from './roster.js';

export { identifierValue };

/** Why a Coverage cannot be kept, in words for a report. */
export class CoverageRejected extends Error {}

/**
 * The registry row of a Coverage. The member number is the Coverage identifier of the member system,
 * else the beneficiary's (its reference's identifier, or beneficiaryMember for its reference).
 * @throws CoverageRejected naming the element at fault.
 */
export function registryCoverageOf(coverage: Coverage, memberSystem: string, beneficiaryMember?: (reference: string) => string | undefined): RegistryCoverage {
  const result = coverageFromFhir(coverage as unknown as Record<string, unknown>, memberSystem, (beneficiary) => {
    const own = isObject(beneficiary) && isObject(beneficiary.identifier) ? identifierValue([beneficiary.identifier], memberSystem) : undefined;
    const referenced = isObject(beneficiary) && typeof beneficiary.reference === 'string' ? beneficiaryMember?.(beneficiary.reference) : undefined;
    return own ?? referenced ?? { error: `Coverage has no identifier with system ${memberSystem}, nor has its beneficiary` };
  });
  if ('error' in result) throw new CoverageRejected(result.error);
  return result.coverage;
}
