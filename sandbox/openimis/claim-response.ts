// The ClaimResponse of an openIMIS claim, shaped as openimis-be-api_fhir_r4_py's ClaimResponseConverter
// builds it: one adjudication per status reached for an accepted line, a single "rejected" one for a
// rejected line or claim, one total per status reached. No rules here: claim-status.ts decides.
import type { Claim, ClaimResponse, ClaimResponseItem, ClaimResponseItemAdjudication, ClaimResponseTotal, Patient } from '@medplum/fhirtypes';
import { money } from '../claim-response.js';
import type { InsurerSeed } from '../seed.js';
import type { ClaimLine } from './claim-lines.js';
import { valuatedAmount, type ClaimState } from './claim-status.js';
import type { StoredClaim } from './claim-store.js';
import {
  CLAIM_OUTCOME,
  CLAIM_STATUS,
  REJECTION_REASON,
  STATUS_STEPS,
  VISIT_TYPE_SYSTEM,
  VISIT_TYPES,
  reasonCoding,
  statusCoding,
  type ClaimStatus,
  type RejectionReason,
} from './codes.js';
import { insureeUuid, typedIdentifier, uuidReference } from './references.js';

/** The statuses reached by a claim that is not rejected (none for a rejected one). */
function statusesReached(status: ClaimStatus): ClaimStatus[] {
  return status === CLAIM_STATUS.rejected ? [] : STATUS_STEPS.filter((s) => s <= status);
}

function adjudications(line: ClaimLine, reason: RejectionReason, status: ClaimStatus, insurer: InsurerSeed): ClaimResponseItemAdjudication[] {
  if (status === CLAIM_STATUS.rejected || reason !== REJECTION_REASON.accepted) {
    return [{ category: { coding: [statusCoding(CLAIM_STATUS.rejected)] }, reason: { coding: [reasonCoding(reason)] }, amount: money(line.unitPrice), value: line.quantity }];
  }
  return statusesReached(status).map((s) => ({
    category: { coding: [statusCoding(s)] },
    reason: { coding: [reasonCoding(REJECTION_REASON.accepted)] },
    amount: money(s === CLAIM_STATUS.valuated ? valuatedAmount(line, insurer.payerSharePercent) : line.unitPrice),
    value: line.quantity,
  }));
}

/**
 * Totals per status reached: claimed (2) counts every line, as openIMIS adds rejected lines to it;
 * approved (4), adjusted (8) and valuated (16) count accepted lines only. Whole francs.
 */
function totals(claim: StoredClaim, state: ClaimState, insurer: InsurerSeed): ClaimResponseTotal[] {
  const accepted = claim.lines.filter((_, i) => state.reasons[i] === REJECTION_REASON.accepted);
  const asked = (lines: readonly ClaimLine[]): number => Math.round(lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0));
  const amountFor = (s: ClaimStatus): number =>
    s === CLAIM_STATUS.entered
      ? asked(claim.lines)
      : s === CLAIM_STATUS.valuated
        ? accepted.reduce((sum, l) => sum + valuatedAmount(l, insurer.payerSharePercent), 0)
        : asked(accepted);
  return statusesReached(state.status).map((s) => ({ category: { coding: [statusCoding(s)] }, amount: money(amountFor(s)) }));
}

/** The claim's ClaimResponse in the given state, dated `now`. */
export function openImisClaimResponse(claim: StoredClaim, state: ClaimState, insurer: InsurerSeed, now: Date): ClaimResponse {
  const { submitted } = claim;
  const items: ClaimResponseItem[] = claim.lines.map((line, i) => ({
    itemSequence: i + 1,
    extension: [line.reference],
    adjudication: adjudications(line, state.reasons[i] ?? REJECTION_REASON.accepted, state.status, insurer),
  }));
  const total = totals(claim, state, insurer);
  return {
    resourceType: 'ClaimResponse',
    id: claim.uuid,
    identifier: [typedIdentifier('UUID', claim.uuid), typedIdentifier('Code', submitted.code)],
    status: 'active',
    type: { coding: [{ system: VISIT_TYPE_SYSTEM, code: submitted.visitType, display: VISIT_TYPES[submitted.visitType] }] },
    use: 'claim',
    patient: uuidReference<Patient>('Patient', insureeUuid(claim.insurerId, submitted.chfId)),
    created: now.toISOString().slice(0, 10),
    insurer: { reference: 'openIMIS' },
    request: uuidReference<Claim>('Claim', claim.uuid),
    outcome: CLAIM_OUTCOME[state.status],
    item: items,
    ...(total.length > 0 ? { total } : {}),
  };
}
