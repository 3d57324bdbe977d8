/**
 * The environment claim-side expressions run in: the Claim of the bundle and the resources it refers
 * to, resolved inside the bundle (%patient, %coverage of the focal insurance, %provider, %insurer), and
 * the ids and insurer settings of the delivery.
 */
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { BundleIndex } from '../../gateway/fhir/bundle-index.js';

/** What mapClaim knows besides the bundle. */
export interface ClaimContext {
  readonly claimId: string;
  readonly providerId: string;
  readonly insurerId: string;
  /** The insurer's adapterSettings (%settings). */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** The bundle's Claim and the %variables of its expressions (null for a resource the bundle lacks). */
export function claimEnvironment(bundle: Bundle, context: ClaimContext): { claim: Claim; env: Readonly<Record<string, unknown>> } {
  const entries = bundle.entry ?? [];
  const claim = entries.find((e) => e.resource?.resourceType === 'Claim')?.resource as Claim | undefined;
  // The gateway checked the bundle before: a bundle without a Claim here is a caller's mistake.
  if (!claim) throw new Error(`claim ${context.claimId}: the bundle holds no Claim`);
  const index = new BundleIndex(entries);
  const insurance = claim.insurance?.find((i) => i.focal) ?? (claim.insurance?.length === 1 ? claim.insurance[0] : undefined);
  return {
    claim,
    env: {
      claim,
      patient: index.resolve(claim.patient, 'Patient')?.resource ?? null,
      coverage: index.resolve(insurance?.coverage, 'Coverage')?.resource ?? null,
      provider: index.resolve(claim.provider)?.resource ?? null,
      insurer: index.resolve(claim.insurer, 'Organization')?.resource ?? null,
      claimId: context.claimId,
      providerId: context.providerId,
      insurerId: context.insurerId,
      settings: context.settings,
    },
  };
}
