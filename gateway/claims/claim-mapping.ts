/**
 * The claim pipeline's mapping check, before a claim is queued: what of the claim its insurer's format
 * cannot carry (the adapter's checkClaim), as coded issues on the claim, so the provider hears of it at
 * once instead of the insurer receiving a claim with elements silently dropped.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';
import type { MappingIssue } from '../../mappings/adapter.js';
import type { AdapterRegistry } from '../../mappings/index.js';
import type { AcceptableClaim } from './claim-bundle.js';

/** The issues of the claim's mapping to its insurer's format (errors all). */
export async function claimMappingIssues(accepted: AcceptableClaim, adapters: AdapterRegistry): Promise<OperationOutcomeIssue[]> {
  const adapter = adapters.get(accepted.insurer.adapter);
  if (!adapter.checkClaim) return [];
  const found = await adapter.checkClaim({
    insurerId: accepted.insurer.id, providerId: accepted.provider.id, settings: accepted.insurer.adapterSettings, bundle: accepted.bundle,
  });
  return found.map(mappingOutcomeIssue);
}

/** A mapping issue as an OperationOutcome issue; Claim paths are given from the bundle, as validation gives them. */
export function mappingOutcomeIssue(found: MappingIssue): OperationOutcomeIssue {
  const expression = found.expression.replace(/^Claim(?=\.|\[|$)/, 'Bundle.entry[0].resource');
  return issue({ error: found.code, message: found.message, expression });
}
