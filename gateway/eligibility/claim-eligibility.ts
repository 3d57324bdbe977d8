/**
 * The claim pipeline's eligibility check, before a claim is queued: for each Claim.insurance entry
 * whose insurer offers eligibility, the member must be known and covered on every service date of the
 * claim. What happens otherwise is the insurer's policy: "reject" refuses the claim (422, coded issue
 * on the insurance entry), "warn" forwards it with a warning. A registry that cannot answer in time
 * never blocks a claim: it is forwarded with an "eligibility-unverified" warning.
 */
import type { Coverage, OperationOutcomeIssue, Reference } from '@medplum/fhirtypes';
import type { BundleIndex } from '../fhir/bundle-index.js';
import { issue } from '../fhir/outcomes.js';
import type { AcceptableClaim } from '../claims/claim-bundle.js';
import { participantIdOf } from '../claims/claim-bundle.js';
import type { Participant, ParticipantRegistry } from '../participants/registry.js';
import { memberOf } from './eligibility-request.js';
import { serviceDates } from '../claims/service-dates.js';
import type { EligibilityService } from './eligibility-service.js';
import type { EligibilitySettings } from './settings.js';

const CLAIM = 'Bundle.entry[0].resource';

/** The issues of the check: errors refuse the claim, warnings travel with it. */
export async function claimEligibilityIssues(
  accepted: AcceptableClaim, deps: { registry: ParticipantRegistry; eligibility: EligibilityService },
): Promise<OperationOutcomeIssue[]> {
  const { start, end } = serviceDates(accepted.claim);
  const issues: OperationOutcomeIssue[] = [];
  for (const [i, insurance] of (accepted.claim.insurance ?? []).entries()) {
    const expression = `${CLAIM}.insurance[${i}]`;
    const coverage = accepted.index.resolve(insurance.coverage, 'Coverage')?.resource as Coverage | undefined;
    const insurer = await payorOf(coverage, accepted.index, deps.registry, i === 0 || insurance.focal ? accepted.insurer : undefined);
    if (!insurer?.eligibility) continue;
    const settings = insurer.eligibility as EligibilitySettings;
    const member = memberOf({ coverages: [insurance.coverage], patient: accepted.claim.patient }, accepted.index, settings.memberSystem);
    const severity = settings.policy === 'warn' ? 'warning' : 'error';
    if (!member) {
      issues.push(issue({ error: 'member-identifier-missing', severity, expression,
        message: { en: `The patient has no member number of ${insurer.name} (an identifier of system ${settings.memberSystem} on the Coverage or the Patient)`, fr: `Le patient n'a pas de numéro d'assuré de ${insurer.name} (un identifiant du système ${settings.memberSystem} sur la Coverage ou le Patient)` } }));
      continue;
    }
    const found = await deps.eligibility.memberCoverage(insurer as Participant & { eligibility: EligibilitySettings }, member, accepted.provider.id, start, end);
    const when = start === end ? `on ${start}` : `from ${start} to ${end}`;
    const quand = start === end ? `le ${start}` : `du ${start} au ${end}`;
    if (found.kind === 'unknown') {
      issues.push(issue({ error: 'member-unknown', severity, expression, message: { en: `Member ${member.value} is unknown to ${insurer.name}`, fr: `L'assuré ${member.value} est inconnu de ${insurer.name}` } }));
    } else if (found.kind === 'not-in-force') {
      issues.push(issue({ error: 'coverage-not-in-force', severity, expression, message: { en: `Member ${member.value} is not covered by ${insurer.name} ${when} (${found.detail.en})`, fr: `L'assuré ${member.value} n'est pas pris en charge par ${insurer.name} ${quand} (${found.detail.fr})` } }));
    } else if (found.kind === 'unverified') {
      issues.push(issue({ error: 'eligibility-unverified', severity: 'warning', expression, message: { en: `The coverage by ${insurer.name} could not be checked (${found.reason.en}); the claim is forwarded unchecked`, fr: `La couverture par ${insurer.name} n'a pas pu être vérifiée (${found.reason.fr}) ; la demande est transmise sans vérification` } }));
    }
  }
  return issues;
}

/** The registered insurer paying a Coverage (its payor), else the claim's insurer for the focal entry. */
async function payorOf(coverage: Coverage | undefined, index: BundleIndex, registry: ParticipantRegistry, fallback: Participant | undefined): Promise<Participant | undefined> {
  for (const payor of coverage?.payor ?? []) {
    const id = participantIdOf(payor as Reference, index);
    const participant = id ? await registry.get(id) : undefined;
    if (participant?.kind === 'insurer' && participant.status === 'active') return participant;
  }
  return fallback;
}
