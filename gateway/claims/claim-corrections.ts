/**
 * Corrected claims: a claim whose Claim.related entry has the relationship "replaces" corrects an
 * earlier claim of the same provider to the same insurer (named by `Claim/{gateway id}` or by the
 * provider's claim identifier). The gateway checks the original, points the reference at its gateway
 * id (what the insurer knows it by), and, when it accepts the correction, marks the original replaced:
 * cancelled if its insurer had not decided it, kept as decided otherwise. The insurer replaces it.
 */
import type { Claim, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';
import type { AcceptableClaim } from './claim-bundle.js';
import type { ClaimRecord, ClaimRepository } from './claim-repository.js';

/** The relationship code of a correction (any code system: FHIR's example value set has no such code). */
export const REPLACES = 'replaces';

/** The claim a submission corrects, with the claim rewritten to name it by gateway id; or its issues. */
export interface Correction {
  readonly original?: ClaimRecord;
  readonly claim: Claim;
  readonly issues: OperationOutcomeIssue[];
}

/** Reads and checks the correction a claim carries, if any. */
export async function claimCorrection(accepted: AcceptableClaim, claims: ClaimRepository): Promise<Correction> {
  const related = accepted.claim.related ?? [];
  const replacing = [...related.entries()].filter(([, r]) => r.relationship?.coding?.some((c) => c.code === REPLACES));
  if (replacing.length === 0) return { claim: accepted.claim, issues: [] };
  const [index, entry] = replacing[0]!;
  const expression = `Bundle.entry[0].resource.related[${index}].claim`;
  if (replacing.length > 1) {
    return { claim: accepted.claim, issues: [issue({ error: 'related-claim-unknown', expression: `Bundle.entry[0].resource.related[${replacing[1]![0]}]`, message: 'A claim corrects one earlier claim: give one related entry with relationship replaces' })] };
  }
  const id = /(?:^|\/)Claim\/([A-Za-z0-9\-.]{1,64})$/.exec(entry.claim?.reference ?? '')?.[1];
  const byIdentifier = entry.claim?.identifier;
  const original = id ? await claims.get(id)
    : byIdentifier?.system && byIdentifier.value ? await claims.findByIdentifier(accepted.provider.id, byIdentifier.system, byIdentifier.value) : undefined;
  const problem = !original || original.providerId !== accepted.provider.id ? `names no claim of this provider (by Claim/{id} or by the claim's identifier)`
    : original.insurerId !== accepted.insurer.id ? `names a claim to another insurer (${original.insurerId}): a correction goes to the original's insurer`
      : original.replacedBy ? `names a claim already replaced by Claim/${original.replacedBy}: correct that one`
        : original.status === 'cancelled' ? 'names a cancelled claim: submit the claim as a new one' : undefined;
  if (problem) return { claim: accepted.claim, issues: [issue({ error: 'related-claim-unknown', expression, message: `The corrected claim ${problem}` })] };
  const rewritten: Claim = {
    ...accepted.claim,
    related: related.map((r, i) => (i === index ? { ...r, claim: { reference: `Claim/${original!.id}` } } : r)),
  };
  return { original, claim: rewritten, issues: [] };
}
