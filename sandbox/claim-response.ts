// Building blocks of the sandbox's ClaimResponse: the envelope copied from the Claim, adjudication
// entries and totals. No rules here; adjudication.ts decides, this file only shapes FHIR.
import { inBothLanguages, type Words } from './texts.js';
import type {
  Claim,
  ClaimResponse,
  ClaimResponseError,
  ClaimResponseItemAdjudication,
  ClaimResponseTotal,
  CodeableConcept,
  Identifier,
  Money,
} from '@medplum/fhirtypes';
import {
  ADJUDICATION_CATEGORY_SYSTEM,
  ADJUDICATION_ERROR_SYSTEM,
  ADJUDICATION_ERRORS,
  PAYMENT_TYPE_SYSTEM,
  type AdjudicationErrorCode,
} from './adjudication-codes.js';

/** Everything a ClaimResponse copies from outside the rules. */
export interface ResponseEnvelope {
  readonly claim: Claim;
  readonly insurerId: string;
  /** The member number found in the request, known to the insurer or not. */
  readonly memberIdentifier?: Identifier;
  readonly responseId: string;
  readonly now: Date;
}

/** An XOF amount. */
export function money(value: number): Money {
  return { value, currency: 'XOF' };
}

/** One adjudication entry of an HL7 category (submitted, copay, benefit, ...). */
export function adjudicationEntry(category: string, value: number, reason?: CodeableConcept): ClaimResponseItemAdjudication {
  return {
    category: { coding: [{ system: ADJUDICATION_CATEGORY_SYSTEM, code: category }] },
    ...(reason ? { reason } : {}),
    amount: money(value),
  };
}

/** One ClaimResponse.total entry of an HL7 category. */
export function totalEntry(category: string, value: number): ClaimResponseTotal {
  return { category: { coding: [{ system: ADJUDICATION_CATEGORY_SYSTEM, code: category }] }, amount: money(value) };
}

/** An error entry with a stable sandbox code, optionally tied to one item. */
export function adjudicationError(code: AdjudicationErrorCode, itemSequence?: number): ClaimResponseError {
  return {
    ...(itemSequence === undefined ? {} : { itemSequence }),
    code: { coding: [{ system: ADJUDICATION_ERROR_SYSTEM, code, display: ADJUDICATION_ERRORS[code] }] },
  };
}

/** The payment block, present only when the insurer pays something. */
export function payment(benefit: number): Pick<ClaimResponse, 'payment'> {
  if (benefit <= 0) {
    return {};
  }
  return { payment: { type: { coding: [{ system: PAYMENT_TYPE_SYSTEM, code: 'complete' }] }, amount: money(benefit) } };
}

/** The fields every ClaimResponse of the sandbox shares, before outcome-specific content. */
export function responseEnvelope(
  env: ResponseEnvelope,
  outcome: ClaimResponse['outcome'],
  disposition: Words,
): ClaimResponse {
  const { claim } = env;
  return {
    resourceType: 'ClaimResponse',
    id: env.responseId,
    status: 'active',
    type: claim.type,
    use: claim.use ?? 'claim',
    patient: env.memberIdentifier ? { identifier: env.memberIdentifier } : claim.patient,
    created: env.now.toISOString(),
    insurer: { identifier: { system: 'urn:passerelle:participant', value: env.insurerId } },
    ...(claim.provider ? { requestor: claim.provider } : {}),
    request: { reference: `Claim/${claim.id ?? 'unknown'}` },
    outcome,
    ...inBothLanguages('disposition', disposition),
  };
}
