// The flat claim record both flat faces carry (a JSON body on the IPM API, a group of CSV rows in a
// batch file), and its checks. Every problem is reported with the field it is about, so a sender fixes
// them all in one round trip. Hand-written rather than a schema library: the fields are few, and each
// face words its own field names (lines[0].actCode here, act_code on row 3 in CSV).

/** One line of a flat claim; amounts in whole XOF francs. */
export interface FlatClaimLine {
  readonly lineNo: number;
  readonly actCode: string;
  readonly quantity: number;
  readonly unitPrice: number;
  readonly amount: number;
}

/** A flat claim as the IPM API and the batch exchange receive it. */
export interface FlatClaimRecord {
  /** The gateway's claim id. */
  readonly claimRef: string;
  readonly providerCode: string;
  readonly memberNumber: string;
  /** YYYY-MM-DD. */
  readonly visitDate: string;
  readonly diagnosisCode?: string;
  readonly lines: readonly FlatClaimLine[];
  readonly totalAmount: number;
}

/** One problem: a top-level field, or a field of the line at `line` (0-based). */
export interface FieldIssue {
  readonly field: string;
  readonly line?: number;
  readonly problem: string;
}

/** Most lines a claim may have. */
export const MAX_LINES = 200;

const TOP_FIELDS = ['claimRef', 'providerCode', 'memberNumber', 'visitDate', 'diagnosisCode', 'lines', 'totalAmount'];

// Problems are worded without commas: the CSV face joins several into one message field.
type Check = (value: unknown) => string | undefined;

const text: Check = (v) => (typeof v === 'string' && v.trim() !== '' && v.length <= 64 ? undefined : 'must be a text of 1 to 64 characters');
const ref: Check = (v) => (typeof v === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(v) ? undefined : 'must be 1 to 64 characters among A-Z a-z 0-9 and -');
const date: Check = (v) => (typeof v === 'string' && isCalendarDate(v) ? undefined : 'must be a date YYYY-MM-DD');
const positiveInteger: Check = (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'must be a whole number above 0');
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a number above 0');
const francs: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number of francs (0 or more)');

const TOP_CHECKS: Record<string, Check> = { claimRef: ref, providerCode: text, memberNumber: text, visitDate: date, totalAmount: francs };
const LINE_CHECKS: Record<string, Check> = { lineNo: positiveInteger, actCode: text, quantity: positive, unitPrice: francs, amount: francs };

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  // Round trip through a UTC date rejects 2025-02-30 and month 13.
  return new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldIssues(value: Record<string, unknown>, checks: Record<string, Check>, line?: number): FieldIssue[] {
  return Object.entries(checks).flatMap(([field, check]) => {
    const raw = value[field];
    const problem = raw === undefined || raw === null ? 'is required' : check(raw);
    return problem ? [{ field, problem, ...(line === undefined ? {} : { line }) }] : [];
  });
}

function lineIssues(lines: unknown): FieldIssue[] {
  if (!Array.isArray(lines) || lines.length === 0 || lines.length > MAX_LINES) {
    return [{ field: 'lines', problem: lines === undefined || lines === null ? 'is required' : `must be a list of 1 to ${MAX_LINES} lines` }];
  }
  const seen = new Set<unknown>();
  return lines.flatMap((line: unknown, i): FieldIssue[] => {
    if (!isObject(line)) return [{ field: 'lines', line: i, problem: 'must be an object' }];
    const issues = fieldIssues(line, LINE_CHECKS, i);
    if (seen.has(line.lineNo) && !issues.some((x) => x.field === 'lineNo')) {
      issues.push({ field: 'lineNo', line: i, problem: 'must be unique within the claim' });
    }
    seen.add(line.lineNo);
    return issues;
  });
}

function recordOf(body: Record<string, unknown>): FlatClaimRecord {
  // Fresh objects with known fields only: nothing of the body (such as a "__proto__" key) is copied over.
  const lines = (body.lines as Record<string, unknown>[]).map((l) => ({
    lineNo: l.lineNo as number,
    actCode: l.actCode as string,
    quantity: l.quantity as number,
    unitPrice: l.unitPrice as number,
    amount: l.amount as number,
  }));
  const diagnosisCode = typeof body.diagnosisCode === 'string' ? body.diagnosisCode : undefined;
  return {
    claimRef: body.claimRef as string,
    providerCode: body.providerCode as string,
    memberNumber: body.memberNumber as string,
    visitDate: body.visitDate as string,
    ...(diagnosisCode === undefined ? {} : { diagnosisCode }),
    lines,
    totalAmount: body.totalAmount as number,
  };
}

/**
 * Checks a flat claim: the required fields with their types, 1 to 200 lines with unique line numbers,
 * and no unknown top-level field. A null diagnosisCode counts as absent.
 * @returns the record (a fresh copy), or every problem found.
 */
export function readClaimRecord(body: unknown): { record: FlatClaimRecord } | { issues: FieldIssue[] } {
  if (!isObject(body)) {
    return { issues: [{ field: '', problem: 'must be a JSON object' }] };
  }
  const issues = [
    ...Object.keys(body).filter((k) => !TOP_FIELDS.includes(k)).map((field) => ({ field, problem: 'is not a known field' })),
    ...fieldIssues(body, TOP_CHECKS),
    ...(body.diagnosisCode === undefined || body.diagnosisCode === null ? [] : fieldIssues(body, { diagnosisCode: text })),
    ...lineIssues(body.lines),
  ];
  return issues.length > 0 ? { issues } : { record: recordOf(body) };
}

/** The JSON path of an issue's field: `memberNumber`, `lines[0].actCode`, `lines[2]`. */
export function issuePath(issue: FieldIssue): string {
  if (issue.line === undefined) return issue.field;
  return issue.field === 'lines' ? `lines[${issue.line}]` : `lines[${issue.line}].${issue.field}`;
}
