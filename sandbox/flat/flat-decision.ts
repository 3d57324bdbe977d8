// The sandbox's ClaimResponse read back as the flat faces' answer: a status, the disposition text, one
// line per item, totals and claim-level errors. Only a reading: the rules decided in adjudication.ts.
import type { ClaimResponse, ClaimResponseItem, ClaimResponseItemAdjudication, CodeableConcept } from '@medplum/fhirtypes';
import { ADJUDICATION_ERROR_SYSTEM, ADJUDICATION_REASON_SYSTEM } from '../adjudication-codes.js';
import { FLAT_REJECT_CODES, type FlatStatus } from './flat-codes.js';

/** One adjudicated line, in whole XOF francs. */
export interface FlatLineDecision {
  readonly lineNo: number;
  readonly amountClaimed: number;
  readonly amountCovered: number;
  readonly patientShare: number;
  readonly rejectCode: 'EXCLUDED' | null;
  readonly rejectLabel: string | null;
}

/** Why a whole claim was rejected. */
export interface FlatClaimError {
  readonly code: 'MEMBER_UNKNOWN' | 'COVERAGE_INACTIVE';
  readonly label: string;
}

/** A flat claim's answer, without its references (claimRef, ipmRef). */
export interface FlatDecision {
  readonly status: FlatStatus;
  readonly message: string;
  readonly lines: readonly FlatLineDecision[];
  readonly totals: { readonly claimed: number; readonly covered: number };
  readonly errors: readonly FlatClaimError[];
}

const STATUSES: Record<string, FlatStatus> = { complete: 'ACCEPTED', partial: 'PARTIAL', error: 'REJECTED', queued: 'PENDING' };

const CLAIM_ERRORS: Record<string, FlatClaimError['code']> = { 'member-unknown': 'MEMBER_UNKNOWN', 'coverage-inactive': 'COVERAGE_INACTIVE' };

function category<T extends { category: CodeableConcept }>(entries: readonly T[] | undefined, code: string): T | undefined {
  return entries?.find((e) => e.category.coding?.some((c) => c.code === code));
}

function amount(entries: ClaimResponseItemAdjudication[] | undefined, code: string): number {
  return category(entries, code)?.amount?.value ?? 0;
}

function lineDecision(item: ClaimResponseItem): FlatLineDecision {
  const benefit = category(item.adjudication, 'benefit');
  const excluded = benefit?.reason?.coding?.some((c) => c.system === ADJUDICATION_REASON_SYSTEM && c.code === 'excluded-service') ?? false;
  return {
    lineNo: item.itemSequence,
    amountClaimed: amount(item.adjudication, 'submitted'),
    amountCovered: amount(item.adjudication, 'benefit'),
    // An excluded line has no copay entry: the patient's share of a refused service is not the insurer's business.
    patientShare: amount(item.adjudication, 'copay'),
    rejectCode: excluded ? 'EXCLUDED' : null,
    rejectLabel: excluded ? FLAT_REJECT_CODES.EXCLUDED : null,
  };
}

/**
 * Reads a ClaimResponse of the sandbox's rules as a flat answer. Lines come in the Claim's item order.
 * `claimed` is the submitted total when the response has none (a member rejection).
 * Excluded-service errors are not repeated as claim errors: the reasons are on the lines.
 */
export function flatDecision(response: ClaimResponse, claimed: number): FlatDecision {
  const errors = (response.error ?? []).flatMap((e): FlatClaimError[] => {
    const coding = e.code.coding?.find((c) => c.system === ADJUDICATION_ERROR_SYSTEM);
    const code = coding?.code ? CLAIM_ERRORS[coding.code] : undefined;
    return code ? [{ code, label: FLAT_REJECT_CODES[code] }] : [];
  });
  return {
    status: STATUSES[response.outcome] ?? 'REJECTED',
    message: response.disposition ?? '',
    lines: (response.item ?? []).map(lineDecision),
    totals: {
      claimed: category(response.total, 'submitted')?.amount.value ?? claimed,
      covered: category(response.total, 'benefit')?.amount.value ?? 0,
    },
    errors,
  };
}
