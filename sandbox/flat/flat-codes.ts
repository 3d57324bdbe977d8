// The stable codes of the flat-format faces (IPM JSON API and CSV batch exchange). They are a public
// contract: docs/sandbox.md lists each one, and flat-codes.test.ts checks the two agree.

/** Claim-level and line-level rejection codes, with the label the IPM API gives them. */
export const FLAT_REJECT_CODES = {
  MEMBER_UNKNOWN: 'Member unknown to this insurer',
  COVERAGE_INACTIVE: 'Coverage not in force on the date of service',
  EXCLUDED: 'Excluded service',
  INVALID_RECORD: 'The claim rows are invalid',
} as const;

/** Error codes of the IPM JSON API's `{"error": {...}}` bodies, with their HTTP status. */
export const IPM_ERROR_CODES = {
  INVALID_REQUEST: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  FAULT_INJECTED: null, // the status the fault rule names (400-599)
  INTERNAL_ERROR: 500,
} as const;

export type FlatRejectCode = keyof typeof FLAT_REJECT_CODES;
export type IpmErrorCode = keyof typeof IPM_ERROR_CODES;

/** Statuses of a claim on both flat faces (PENDING on the JSON API only). */
export type FlatStatus = 'ACCEPTED' | 'PARTIAL' | 'REJECTED' | 'PENDING';
