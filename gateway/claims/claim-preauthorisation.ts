/**
 * Prior authorisation in the claim pipeline. A claim of use "preauthorization" goes through the same
 * pipeline like any other claim; when its insurer grants it (outcome complete or partial with a preAuthRef), the
 * reference and its validity are kept on the claim. A later claim citing it
 * (Claim.insurance.preAuthRef) is checked before it is queued: the reference must be one this insurer
 * granted to this provider for this patient, and every service date must fall within its validity. The
 * reference then travels to the insurer with the claim, as the provider wrote it.
 */
import type { Bundle, Claim, ClaimResponse, Identifier, OperationOutcomeIssue, Patient } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';
import type { AcceptableClaim } from './claim-bundle.js';
import type { AnswerFacts, ClaimRecord, ClaimRepository } from './claim-repository.js';
import { serviceDates } from './service-dates.js';

const CLAIM = 'Bundle.entry[0].resource';

/** The prior authorisation an insurer's answer grants, if it is one. */
export function preAuthorisationOf(claim: ClaimRecord, answer: ClaimResponse): AnswerFacts['preAuthorisation'] {
  if ((claim.bundle?.entry?.[0]?.resource as Claim | undefined)?.use !== 'preauthorization') return undefined;
  if (!answer.preAuthRef || (answer.outcome !== 'complete' && answer.outcome !== 'partial')) return undefined;
  const day = (value: string | undefined) => (value && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined);
  return { ref: answer.preAuthRef, start: day(answer.preAuthPeriod?.start), end: day(answer.preAuthPeriod?.end) };
}

/** Issues of the prior authorisations a claim cites (errors all); none for a claim that cites none. */
export async function claimPreAuthorisationIssues(accepted: AcceptableClaim, claims: ClaimRepository): Promise<OperationOutcomeIssue[]> {
  const issues: OperationOutcomeIssue[] = [];
  const insurance = accepted.claim.insurance ?? [];
  const { start, end } = serviceDates(accepted.claim);
  for (const [i, entry] of insurance.entries()) {
    // References are the claim's insurer's: those of the focal entry (or the only one).
    if (!(entry.focal || insurance.length === 1)) continue;
    for (const [j, ref] of (entry.preAuthRef ?? []).entries()) {
      const expression = `${CLAIM}.insurance[${i}].preAuthRef[${j}]`;
      const granted = await claims.preAuthorisation(accepted.insurer.id, ref);
      if (!granted || granted.providerId !== accepted.provider.id || !samePatient(granted.bundle, accepted.bundle)) {
        // The same answer whether the reference is another provider's or nobody's: nothing leaks.
        issues.push(issue({ error: 'preauth-unknown', expression,
          message: { en: `${accepted.insurer.name} has granted this provider no prior authorisation ${ref} for this patient`, fr: `${accepted.insurer.name} n'a accordé à ce prestataire aucun accord préalable ${ref} pour ce patient` } }));
        continue;
      }
      if ((granted.start && start < granted.start) || (granted.end && end > granted.end)) {
        issues.push(issue({ error: 'preauth-expired', expression,
          message: { en: `Prior authorisation ${ref} is valid from ${granted.start ?? 'its grant'} to ${granted.end ?? 'no end'}; the services are dated ${start === end ? start : `${start} to ${end}`}`, fr: `L'accord préalable ${ref} est valable ${granted.start ? `du ${granted.start}` : 'dès son octroi'} ${granted.end ? `au ${granted.end}` : 'sans date de fin'} ; les prestations sont datées ${start === end ? `du ${start}` : `du ${start} au ${end}`}` } }));
      }
    }
  }
  return issues;
}

/** Whether two claim bundles name the same patient: a shared identifier (system and value). */
function samePatient(a: Bundle | null, b: Bundle): boolean {
  if (!a) return false;
  const keys = (bundle: Bundle) => new Set(patientIdentifiers(bundle).filter((id) => id.system && id.value).map((id) => `${id.system}|${id.value}`));
  const ours = keys(b);
  return [...keys(a)].some((key) => ours.has(key));
}

function patientIdentifiers(bundle: Bundle): Identifier[] {
  const claim = bundle.entry?.[0]?.resource as { patient?: { identifier?: Identifier } } | undefined;
  const patients = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Patient => r?.resourceType === 'Patient');
  return [...(claim?.patient?.identifier ? [claim.patient.identifier] : []), ...patients.flatMap((p) => p.identifier ?? [])];
}
