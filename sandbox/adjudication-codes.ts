// The sandbox's stable adjudication codes. docs/sandbox.md lists each one; a test checks they agree.

/** System of ClaimResponse.error[].code and CoverageEligibilityResponse.error[].code. */
export const ADJUDICATION_ERROR_SYSTEM = 'urn:passerelle:sandbox:adjudication-error';

/** System of the reason on a rejected item's adjudication. */
export const ADJUDICATION_REASON_SYSTEM = 'urn:passerelle:sandbox:adjudication-reason';

/** HL7 adjudication categories used on items and totals. */
export const ADJUDICATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/adjudication';

/** HL7 payment type system. */
export const PAYMENT_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/ex-paymenttype';

/** Error codes (ADJUDICATION_ERROR_SYSTEM) with their display text. */
export const ADJUDICATION_ERRORS = {
  'member-unknown': 'Member unknown to this insurer',
  'coverage-inactive': 'Coverage not in force on the date of service',
  'excluded-service': 'Service excluded from cover',
} as const;

/** Item rejection reasons (ADJUDICATION_REASON_SYSTEM) with their display text. */
export const ADJUDICATION_REASONS = {
  'excluded-service': 'Service excluded from cover',
} as const;

export type AdjudicationErrorCode = keyof typeof ADJUDICATION_ERRORS;
export type AdjudicationReasonCode = keyof typeof ADJUDICATION_REASONS;
