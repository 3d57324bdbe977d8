/**
 * Corrected claims: a claim whose Claim.related entry has the relationship "replaces" corrects an
 * earlier claim of the same provider to the same insurer (named by `Claim/{gateway id}` or by the
 * provider's claim identifier). The gateway checks the original, points the reference at its gateway
 * id (what the insurer knows it by), and, when it accepts the correction, marks the original replaced:
 * cancelled if its insurer had not decided it, kept as decided otherwise. The insurer replaces it.
 */
import type { Claim, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, type Bilingual } from '../fhir/outcomes.js';
import type { AcceptableClaim } from './claim-bundle.js';
import type { ClaimRecord, ClaimRepository } from './claim-repository.js';
import { referencedId } from '../fhir/references.js';

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
    return { claim: accepted.claim, issues: [issue({ error: 'related-claim-unknown', expression: `Bundle.entry[0].resource.related[${replacing[1]![0]}]`, message: {
      en: 'A claim corrects one earlier claim: give one related entry with relationship replaces',
      fr: 'Une demande corrige une seule demande antérieure : donnez une seule entrée related de relationship replaces',
    } })] };
  }
  const id = referencedId(entry.claim?.reference, 'Claim');
  const byIdentifier = entry.claim?.identifier;
  const original = id ? await claims.get(id)
    : byIdentifier?.system && byIdentifier.value ? await claims.findByIdentifier(accepted.provider.id, byIdentifier.system, byIdentifier.value) : undefined;
  const problem: Bilingual | undefined = !original || original.providerId !== accepted.provider.id
    ? { en: "names no claim of this provider (by Claim/{id} or by the claim's identifier)", fr: "ne désigne aucune demande de ce prestataire (par Claim/{id} ou par l'identifiant de la demande)" }
    : original.insurerId !== accepted.insurer.id
      ? { en: `names a claim to another insurer (${original.insurerId}): a correction goes to the original's insurer`, fr: `désigne une demande adressée à un autre assureur (${original.insurerId}) : une correction va à l'assureur de la demande d'origine` }
      : original.replacedBy ? { en: `names a claim already replaced by Claim/${original.replacedBy}: correct that one`, fr: `désigne une demande déjà remplacée par Claim/${original.replacedBy} : corrigez plutôt celle-ci` }
        : original.status === 'cancelled' ? { en: 'names a cancelled claim: submit the claim as a new one', fr: 'désigne une demande annulée : soumettez la demande comme une nouvelle demande' } : undefined;
  if (problem) {
    return { claim: accepted.claim, issues: [issue({ error: 'related-claim-unknown', expression, message: { en: `The corrected claim ${problem.en}`, fr: `La demande corrigée ${problem.fr}` } })] };
  }
  const rewritten: Claim = {
    ...accepted.claim,
    related: related.map((r, i) => (i === index ? { ...r, claim: { reference: `Claim/${original!.id}` } } : r)),
  };
  return { original, claim: rewritten, issues: [] };
}
