// Reading a Claim as openIMIS's ClaimConverter does: the claim code, insuree CHF ID and health
// facility code come from identifiers of type Code; visit type, diagnoses, items and supporting
// information are checked. Every problem is collected, none stops the reading.
import type { Claim, ClaimItem, Identifier, OperationOutcomeIssue, Reference } from '@medplum/fhirtypes';
import { errorIssue } from '../outcomes.js';
import { readLine, type ClaimLine } from './claim-lines.js';
import { IDENTIFIER_TYPE_SYSTEM, SUPPORTING_INFO_CATEGORIES, SUPPORTING_INFO_CATEGORY_SYSTEM, VISIT_TYPES, type VisitType } from './codes.js';

/** A Claim that passed every structural check. */
export interface SubmittedClaim {
  /** The Claim as received. */
  readonly resource: Claim;
  /** Claim code, 1–8 characters. */
  readonly code: string;
  /** The insuree's CHF ID. */
  readonly chfId: string;
  /** Health facility code, 1–8 characters. */
  readonly healthFacilityCode: string;
  readonly visitType: VisitType;
  /** billablePeriod.start as YYYY-MM-DD: the date coverage is checked on. */
  readonly serviceDate: string;
  /** Lines in the order received. */
  readonly lines: readonly ClaimLine[];
}

/** What was read: the claim when no problem was found, and the keys found either way. */
export interface ClaimReading {
  readonly claim?: SubmittedClaim;
  readonly issues: OperationOutcomeIssue[];
  readonly code?: string;
  readonly chfId?: string;
  readonly healthFacilityCode?: string;
}

const MAX_CODE_LENGTH = 8;
const MAX_DIAGNOSES = 5;

function list<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value.filter((v) => typeof v === 'object' && v !== null) : [];
}

/** The identifier's type is Code. References compare case-insensitively, as openIMIS does. */
function isCodeType(identifier: Identifier | undefined, anyCase: boolean): boolean {
  return (identifier?.type?.coding ?? []).some(
    (c) => (c.system === undefined || c.system === IDENTIFIER_TYPE_SYSTEM) && (anyCase ? c.code?.toLowerCase() === 'code' : c.code === 'Code'),
  );
}

function readClaimCode(claim: Claim, issues: OperationOutcomeIssue[]): string | undefined {
  const codes = list(claim.identifier).filter((i) => isCodeType(i, false));
  if (codes.length !== 1) {
    const text = codes.length === 0 ? 'The claim code is required: one identifier of type Code.' : 'Give one identifier of type Code only.';
    issues.push(errorIssue(codes.length === 0 ? 'required' : 'invalid', text, 'Claim.identifier'));
    return undefined;
  }
  const value = codes[0]?.value;
  if (typeof value !== 'string' || value.length < 1 || value.length > MAX_CODE_LENGTH) {
    issues.push(errorIssue('invalid', `The claim code must be 1 to ${MAX_CODE_LENGTH} characters.`, 'Claim.identifier'));
    return undefined;
  }
  return value;
}

function readReferenceCode(reference: Reference | undefined, at: string, issues: OperationOutcomeIssue[]): string | undefined {
  const identifier = reference?.identifier;
  const value = isCodeType(identifier, true) ? identifier?.value : undefined;
  if (typeof value !== 'string' || value.length === 0) {
    issues.push(errorIssue('required', `${at}.identifier of type Code is required.`, `${at}.identifier`));
    return undefined;
  }
  return value;
}

/** A real calendar day: Date.parse alone would take 2025-02-30 as 2 March. */
function isCalendarDate(date: string): boolean {
  const time = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === date;
}

function readServiceDate(claim: Claim, issues: OperationOutcomeIssue[]): string | undefined {
  const start = claim.billablePeriod?.start;
  const date = typeof start === 'string' && /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(start) ? start.slice(0, 10) : undefined;
  if (!date || !isCalendarDate(date)) {
    issues.push(errorIssue(start === undefined ? 'required' : 'invalid', 'billablePeriod.start must be a date (YYYY-MM-DD).', 'Claim.billablePeriod.start'));
    return undefined;
  }
  return date;
}

function readVisitType(claim: Claim, issues: OperationOutcomeIssue[]): VisitType | undefined {
  const code = claim.type?.coding?.[0]?.code;
  if (code === undefined || !Object.hasOwn(VISIT_TYPES, code)) {
    issues.push(errorIssue(code === undefined ? 'required' : 'invalid', 'type.coding[0].code must be E, R or O.', 'Claim.type'));
    return undefined;
  }
  return code as VisitType;
}

function checkDiagnoses(claim: Claim, issues: OperationOutcomeIssue[]): void {
  const diagnoses = list(claim.diagnosis);
  if (diagnoses.length === 0) {
    issues.push(errorIssue('required', 'At least one diagnosis is required.', 'Claim.diagnosis'));
  } else if (diagnoses.length > MAX_DIAGNOSES) {
    issues.push(errorIssue('invalid', `At most ${MAX_DIAGNOSES} diagnoses are accepted.`, 'Claim.diagnosis'));
  }
  diagnoses.forEach((d, i) => {
    if (!d.diagnosisCodeableConcept?.coding?.[0]?.code) {
      issues.push(errorIssue('required', 'Each diagnosis needs diagnosisCodeableConcept.coding[0].code.', `Claim.diagnosis[${i}].diagnosisCodeableConcept`));
    }
  });
}

function checkSupportingInfo(claim: Claim, issues: OperationOutcomeIssue[]): void {
  list(claim.supportingInfo).forEach((info, i) => {
    const coding = info.category?.coding?.find((c) => c.system === SUPPORTING_INFO_CATEGORY_SYSTEM) ?? info.category?.coding?.[0];
    if (!coding?.code || !SUPPORTING_INFO_CATEGORIES.includes(coding.code)) {
      issues.push(errorIssue('invalid', `The category must be one of ${SUPPORTING_INFO_CATEGORIES.join(', ')}.`, `Claim.supportingInfo[${i}].category`));
    }
  });
}

function readLines(claim: Claim, issues: OperationOutcomeIssue[]): ClaimLine[] {
  const items = Array.isArray(claim.item) ? claim.item : [];
  if (items.length === 0) {
    issues.push(errorIssue('required', 'At least one item is required.', 'Claim.item'));
  }
  const lines: ClaimLine[] = [];
  items.forEach((item: ClaimItem, i) => {
    const read = readLine(typeof item === 'object' && item !== null ? item : ({} as ClaimItem), i);
    issues.push(...read.issues);
    if (read.line) {
      lines.push(read.line);
    }
  });
  return lines;
}

/** Reads and checks a Claim body; `claim` is set only when no problem was found. */
export function readClaim(body: unknown): ClaimReading {
  if (typeof body !== 'object' || body === null || (body as { resourceType?: unknown }).resourceType !== 'Claim') {
    return { issues: [errorIssue('invalid', 'The body must be a Claim resource.', 'Claim')] };
  }
  const resource = body as Claim;
  const issues: OperationOutcomeIssue[] = [];
  const code = readClaimCode(resource, issues);
  const chfId = readReferenceCode(resource.patient, 'Claim.patient', issues);
  let healthFacilityCode = readReferenceCode(resource.provider, 'Claim.provider', issues);
  if (healthFacilityCode && healthFacilityCode.length > MAX_CODE_LENGTH) {
    issues.push(errorIssue('invalid', `The health facility code must be at most ${MAX_CODE_LENGTH} characters.`, 'Claim.provider.identifier'));
    healthFacilityCode = undefined;
  }
  const serviceDate = readServiceDate(resource, issues);
  const visitType = readVisitType(resource, issues);
  checkDiagnoses(resource, issues);
  const lines = readLines(resource, issues);
  checkSupportingInfo(resource, issues);
  const keys = { ...(code ? { code } : {}), ...(chfId ? { chfId } : {}), ...(healthFacilityCode ? { healthFacilityCode } : {}) };
  if (issues.length > 0 || !code || !chfId || !healthFacilityCode || !serviceDate || !visitType) {
    return { issues, ...keys };
  }
  return { claim: { resource, code, chfId, healthFacilityCode, visitType, serviceDate, lines }, issues, ...keys };
}
