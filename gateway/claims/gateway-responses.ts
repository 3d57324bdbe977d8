/**
 * The ClaimResponses the gateway writes itself: "queued" when it accepts a claim, and "error" when a
 * delivery ends badly (the insurer refused the claim, or every attempt failed). Insurer answers are
 * the insurer's own. They are stored and read later by anyone, so their texts are in English with the
 * French in the translation extension of the element (translatedElement).
 */
import type { Claim, ClaimResponse, Extension, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { translatedElement, type Bilingual } from '../fhir/outcomes.js';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';

/** Code system of ClaimResponse.error codes written by the gateway (catalogued in docs/errors.md). */
export const DELIVERY_ERROR_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/delivery-error';

export type DeliveryErrorCode = 'insurer-refused' | 'delivery-failed' | 'mapping-failed';

function base(id: string, claim: Claim, providerId: string, insurerId: string): ClaimResponse & { id: string } {
  return {
    resourceType: 'ClaimResponse',
    id,
    status: 'active',
    type: claim.type,
    use: claim.use,
    patient: claim.patient,
    created: new Date().toISOString(),
    insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: insurerId } },
    requestor: { identifier: { system: PARTICIPANT_SYSTEM, value: providerId } },
    request: { reference: `Claim/${claim.id}` },
    outcome: 'queued',
  };
}

/** Extension of a queued ClaimResponse pointing at the validation warnings it contains. */
export const VALIDATION_OUTCOME_EXTENSION = 'https://fhir.passerelle.sn/StructureDefinition/validation-outcome';

/**
 * The answer with the request's validation warnings, as a contained OperationOutcome the extension
 * points at (claims' and eligibility answers alike); unchanged without warnings.
 */
export function withValidationWarnings<T extends Resource & { contained?: Resource[]; extension?: Extension[] }>(answer: T, warnings: readonly OperationOutcomeIssue[]): T {
  if (warnings.length === 0) return answer;
  return {
    ...answer,
    contained: [...(answer.contained ?? []), { resourceType: 'OperationOutcome', id: 'validation', issue: [...warnings] }],
    extension: [...(answer.extension ?? []), { url: VALIDATION_OUTCOME_EXTENSION, valueReference: { reference: '#validation' } }],
  };
}

/**
 * The first answer: accepted and queued for the insurer. The patient is named by identifier when it has
 * one. Validation warnings travel with it, as a contained OperationOutcome the extension points at.
 */
export function queuedResponse(
  id: string, claim: Claim, parties: { providerId: string; insurerId: string; insurerName: string; patientIdentifier?: ClaimResponse['patient']['identifier'] },
  warnings: readonly OperationOutcomeIssue[] = [],
): ClaimResponse & { id: string } {
  return {
    ...withValidationWarnings(base(id, claim, parties.providerId, parties.insurerId), warnings),
    patient: parties.patientIdentifier ? { identifier: parties.patientIdentifier } : claim.patient,
    ...translatedElement('disposition', warnings.length > 0
      ? {
        en: `Accepted by the gateway with ${warnings.length} warning(s) (see the contained OperationOutcome) and queued for delivery to ${parties.insurerName}`,
        fr: `Acceptée par la passerelle avec ${warnings.length} avertissement(s) (voir l'OperationOutcome contenu) et mise en file d'attente pour transmission à ${parties.insurerName}`,
      }
      : {
        en: `Accepted by the gateway and queued for delivery to ${parties.insurerName}`,
        fr: `Acceptée par la passerelle et mise en file d'attente pour transmission à ${parties.insurerName}`,
      }),
  };
}

/** An "error" answer for a delivery that ended badly, optionally containing the insurer's OperationOutcome. */
export function deliveryErrorResponse(
  id: string, claim: Claim, parties: { providerId: string; insurerId: string },
  error: { code: DeliveryErrorCode; disposition: Bilingual; text: Bilingual; contained?: Resource },
): ClaimResponse & { id: string } {
  return {
    ...base(id, claim, parties.providerId, parties.insurerId),
    ...(error.contained ? { contained: [error.contained] } : {}),
    outcome: 'error',
    ...translatedElement('disposition', error.disposition),
    error: [{ code: { coding: [{ system: DELIVERY_ERROR_SYSTEM, code: error.code }], ...translatedElement('text', error.text) } }],
  };
}
