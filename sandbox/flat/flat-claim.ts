// A flat claim record as the FHIR Claim the sandbox's rules read, so both flat faces are adjudicated by
// adjudication.ts itself and never by a second copy of the rules: the visit date is the date of
// service, each line's amount is its net, its act code the service code checked for exclusion, and the
// total amount is Claim.total (the pend threshold's input).
import type { Claim, ClaimItem } from '@medplum/fhirtypes';
import type { AdjudicationInput } from '../adjudication.js';
import { money } from '../claim-response.js';
import type { InsurerRegistry } from '../registry.js';
import type { InsurerSeed } from '../seed.js';
import type { FlatClaimLine, FlatClaimRecord } from './claim-record.js';

function claimItem(line: FlatClaimLine, visitDate: string): ClaimItem {
  return {
    sequence: line.lineNo,
    productOrService: { coding: [{ code: line.actCode }] },
    servicedDate: visitDate,
    quantity: { value: line.quantity },
    unitPrice: money(line.unitPrice),
    net: money(line.amount),
  };
}

/** The FHIR Claim that carries a flat record's content, for the sandbox's rules. */
export function claimFromRecord(record: FlatClaimRecord, insurer: InsurerSeed): Claim {
  const member = { system: insurer.memberSystem, value: record.memberNumber };
  return {
    resourceType: 'Claim',
    id: record.claimRef,
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'claim',
    patient: { identifier: member },
    billablePeriod: { start: record.visitDate, end: record.visitDate },
    created: record.visitDate,
    provider: { identifier: { value: record.providerCode } },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { identifier: member } }],
    ...(record.diagnosisCode
      ? { diagnosis: [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: record.diagnosisCode }] } }] }
      : {}),
    item: record.lines.map((line) => claimItem(line, record.visitDate)),
    total: money(record.totalAmount),
  };
}

/**
 * What the rules need to decide a flat claim: the Claim, and the member looked up by member number in
 * the insurer's registry (control API changes included).
 */
export function flatAdjudicationInput(
  registry: InsurerRegistry,
  insurer: InsurerSeed,
  record: FlatClaimRecord,
  now: Date,
  responseId: string,
): AdjudicationInput {
  return {
    claim: claimFromRecord(record, insurer),
    insurer,
    memberIdentifier: { system: insurer.memberSystem, value: record.memberNumber },
    member: registry.findMember(insurer, record.memberNumber),
    now,
    responseId,
  };
}
