/**
 * The claim pipeline's mapping check, before a claim is queued: what of the claim its insurers' formats
 * cannot carry (the adapters' checkClaim), as coded issues on the claim, so the provider hears of it at
 * once instead of an insurer receiving a claim with elements silently dropped. A claim coordinated
 * between several payers (claim-coordination.ts) is checked as each later payer will receive it: the
 * follow-on claim carrying the earlier payer's adjudication.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Claim, ClaimResponse, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, type Bilingual } from '../fhir/outcomes.js';
import { PARTICIPANT_SYSTEM, type Participant, type ParticipantRegistry } from '../participants/registry.js';
import type { MappingIssue } from '../../mappings/adapter.js';
import type { AdapterRegistry } from '../../mappings/index.js';
import type { AcceptableClaim } from './claim-bundle.js';
import { followOnBundle, isCoordinated, nextPayerEntry } from './claim-coordination.js';

/** The mapping issues of this bundle in this insurer's format. */
async function issuesFor(insurer: Participant, providerId: string, bundle: Bundle, adapters: AdapterRegistry): Promise<readonly MappingIssue[]> {
  const adapter = adapters.get(insurer.adapter);
  if (!adapter.checkClaim) return [];
  return adapter.checkClaim({ insurerId: insurer.id, providerId, settings: insurer.adapterSettings, bundle });
}

/** A stand-in for the answer a payer has not given yet: only its shape matters to a later payer's format check. */
function answerToCome(bundle: Bundle, insurerId: string): ClaimResponse & { id: string } {
  const claim = bundle.entry![0]!.resource as Claim;
  return {
    resourceType: 'ClaimResponse', id: randomUUID(), status: 'active', type: claim.type, use: 'claim', patient: claim.patient,
    created: new Date().toISOString(), insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: insurerId } }, outcome: 'complete',
  };
}

/** The issues of the claim's mapping to its insurer's format, and to each later payer's (errors all). */
export async function claimMappingIssues(accepted: AcceptableClaim, adapters: AdapterRegistry, registry: ParticipantRegistry): Promise<OperationOutcomeIssue[]> {
  const issues = (await issuesFor(accepted.insurer, accepted.provider.id, accepted.bundle, adapters)).map((found) => mappingOutcomeIssue(found));
  if (!isCoordinated(accepted.claim)) return issues;
  let bundle = accepted.bundle;
  let previous = accepted.insurer.id;
  for (let next = nextPayerEntry(bundle); next; next = nextPayerEntry(bundle)) {
    const payer = await registry.get(next.insurerId);
    if (payer?.kind !== 'insurer' || payer.status !== 'active') break; // not a payer: coordinationIssues says so
    bundle = followOnBundle(bundle, randomUUID(), next, answerToCome(bundle, previous));
    const name = payer.name ?? payer.id;
    for (const found of await issuesFor(payer, accepted.provider.id, bundle, adapters)) {
      issues.push(mappingOutcomeIssue(found, {
        en: `${name} is a later payer of this claim (Claim.insurance[${next.index}]) and receives it with the earlier payer's adjudication in Claim.insurance.claimResponse; its format cannot carry that claim: `,
        fr: `${name} est un payeur suivant de cette demande (Claim.insurance[${next.index}]) et la reçoit avec la décision du payeur précédent dans Claim.insurance.claimResponse ; son format ne peut pas porter cette demande : `,
      }));
    }
    previous = payer.id;
  }
  return issues;
}

/** A mapping issue as an OperationOutcome issue (after a preface, if given); Claim paths are given from the bundle, as validation gives them. */
export function mappingOutcomeIssue(found: MappingIssue, preface?: Bilingual): OperationOutcomeIssue {
  const expression = found.expression.replace(/^Claim(?=\.|\[|$)/, 'Bundle.entry[0].resource');
  const message = preface ? { en: preface.en + found.message.en, fr: preface.fr + found.message.fr } : found.message;
  return issue({ error: found.code, message, expression });
}
