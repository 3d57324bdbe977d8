// The code systems and code tables of openIMIS's FHIR R4 module (openimis-be-api_fhir_r4_py,
// ClaimResponseMapping and R4IdentifierConfig), so the face answers with the same codes and displays.
import type { Coding } from '@medplum/fhirtypes';

/** Base of every openIMIS canonical URL (GeneralConfiguration.get_system_base_url()). */
export const OPENIMIS_BASE = 'https://openimis.github.io/openimis_fhir_r4_ig/';

export const IDENTIFIER_TYPE_SYSTEM = `${OPENIMIS_BASE}CodeSystem/openimis-identifiers`;
export const CLAIM_STATUS_SYSTEM = `${OPENIMIS_BASE}CodeSystem/claim-status`;
export const VISIT_TYPE_SYSTEM = `${OPENIMIS_BASE}CodeSystem/claim-visit-type`;
export const REJECTION_REASON_SYSTEM = `${OPENIMIS_BASE}CodeSystem/claim-rejection-reasons`;
export const SUPPORTING_INFO_CATEGORY_SYSTEM = `${OPENIMIS_BASE}CodeSystem/claim-supporting-info-category`;
export const CLAIM_ITEM_REFERENCE_URL = `${OPENIMIS_BASE}StructureDefinition/claim-item-reference`;

/** openIMIS claim statuses (claim.models.Claim.STATUS_*), the numbers its API puts in codes. */
export const CLAIM_STATUS = { rejected: 1, entered: 2, checked: 4, processed: 8, valuated: 16 } as const;
export type ClaimStatus = (typeof CLAIM_STATUS)[keyof typeof CLAIM_STATUS];

/** The statuses a claim that is not rejected goes through, in order. */
export const STATUS_STEPS: readonly ClaimStatus[] = [2, 4, 8, 16];

const STATUS_DISPLAY: Record<ClaimStatus, string> = { 1: 'rejected', 2: 'entered', 4: 'checked', 8: 'processed', 16: 'valuated' };

/** ClaimResponseMapping.claim_outcome: openIMIS calls a rejected claim "complete", too. */
export const CLAIM_OUTCOME: Record<ClaimStatus, 'complete' | 'queued' | 'partial'> = {
  1: 'complete',
  2: 'queued',
  4: 'partial',
  8: 'partial',
  16: 'complete',
};

/** The rejection reasons the sandbox gives (a subset of ClaimResponseMapping.rejection_reason). */
export const REJECTION_REASON = { accepted: 0, notInPriceList: 2, noProductFound: 3 } as const;
export type RejectionReason = (typeof REJECTION_REASON)[keyof typeof REJECTION_REASON];

const REJECTION_DISPLAY: Record<RejectionReason, string> = { 0: 'ACCEPTED', 2: 'NOT IN PRICE LIST', 3: 'NO PRODUCT FOUND' };

/** Visit types (Claim.type) and their displays. */
export const VISIT_TYPES = { E: 'Emergency', R: 'Referrals', O: 'Other' } as const;
export type VisitType = keyof typeof VISIT_TYPES;

/** Supporting information categories openIMIS reads. */
export const SUPPORTING_INFO_CATEGORIES: readonly string[] = ['guarantee', 'explanation', 'attachment'];

/** The claim-status coding of a status, as used in totals and adjudication categories. */
export function statusCoding(status: ClaimStatus): Coding {
  return { system: CLAIM_STATUS_SYSTEM, code: String(status), display: STATUS_DISPLAY[status] };
}

/** The claim-rejection-reasons coding of a reason. */
export function reasonCoding(reason: RejectionReason): Coding {
  return { system: REJECTION_REASON_SYSTEM, code: String(reason), display: REJECTION_DISPLAY[reason] };
}
