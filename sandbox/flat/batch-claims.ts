// A claims file's rows grouped into claims (by claim_ref, in order of first appearance) and checked with
// the same checks as the IPM API's JSON body, each problem named by its CSV column and row.
import type { ClaimColumn, ClaimRow } from './batch-csv.js';
import { MAX_LINES, readClaimRecord, type FieldIssue, type FlatClaimRecord } from './claim-record.js';

/** One claim of a batch: a record to adjudicate, or why its rows are invalid. */
export type BatchClaim =
  | { readonly claimRef: string; readonly record: FlatClaimRecord }
  | { readonly claimRef: string; readonly invalid: string };

/** Columns repeated on each row of a claim, with the record field each one fills. */
const CLAIM_FIELDS: Partial<Record<ClaimColumn, string>> = {
  claim_ref: 'claimRef',
  provider_code: 'providerCode',
  member_number: 'memberNumber',
  visit_date: 'visitDate',
  diagnosis_code: 'diagnosisCode',
};

const LINE_FIELDS: Partial<Record<ClaimColumn, string>> = {
  line_no: 'lineNo',
  act_code: 'actCode',
  quantity: 'quantity',
  unit_price: 'unitPrice',
  amount: 'amount',
};

const COLUMN_OF = Object.fromEntries([...Object.entries(CLAIM_FIELDS), ...Object.entries(LINE_FIELDS)].map(([c, f]) => [f, c]));

/** A line value as the record checks expect it: act codes as text, the others as numbers when decimal. */
function lineValue(field: string, value: string): number | string | undefined {
  if (value === '') return undefined;
  // Anything not decimal stays text ("1,5", "12 000"), so the record checks name the column.
  return field !== 'actCode' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function candidate(rows: readonly ClaimRow[]): Record<string, unknown> {
  const first = rows[0]?.values;
  const lines = rows.map(({ values }) =>
    Object.fromEntries(Object.entries(LINE_FIELDS).map(([column, field]) => [field, lineValue(field, values[column as ClaimColumn])])),
  );
  const amounts = lines.map((l) => l.amount).filter((a): a is number => Number.isSafeInteger(a));
  return {
    ...Object.fromEntries(Object.entries(CLAIM_FIELDS).map(([column, field]) => [field, first?.[column as ClaimColumn] || undefined])),
    lines,
    // The file has no total column: a claim's total is the sum of its line amounts.
    totalAmount: amounts.reduce((sum, a) => sum + a, 0),
  };
}

/** Claim columns must say the same thing on every row of a claim. */
function disagreements(rows: readonly ClaimRow[]): string[] {
  return Object.keys(CLAIM_FIELDS)
    .filter((column) => new Set(rows.map((r) => r.values[column as ClaimColumn])).size > 1)
    .map((column) => `${column} differs between the claim's rows`);
}

function issueText(issue: FieldIssue, rows: readonly ClaimRow[]): string {
  if (issue.field === 'lines') {
    return issue.line === undefined ? `a claim has 1 to ${MAX_LINES} rows` : `row ${rows[issue.line]?.row} is invalid`;
  }
  const column = COLUMN_OF[issue.field] ?? issue.field;
  return issue.line === undefined ? `${column} ${issue.problem}` : `${column} on row ${rows[issue.line]?.row} ${issue.problem}`;
}

function batchClaim(claimRef: string, rows: readonly ClaimRow[]): BatchClaim {
  const read = readClaimRecord(candidate(rows));
  const problems = [...disagreements(rows), ...('issues' in read ? read.issues.map((i) => issueText(i, rows)) : [])];
  if (problems.length > 0 || !('record' in read)) {
    return { claimRef, invalid: `Invalid record: ${problems.join(', ')}.` };
  }
  return { claimRef, record: read.record };
}

/** Groups rows by claim_ref (in order of first appearance) and checks each claim. */
export function batchClaims(rows: readonly ClaimRow[]): BatchClaim[] {
  const groups = new Map<string, ClaimRow[]>();
  for (const row of rows) {
    const group = groups.get(row.values.claim_ref);
    if (group) group.push(row);
    else groups.set(row.values.claim_ref, [row]);
  }
  return [...groups].map(([claimRef, group]) => batchClaim(claimRef, group));
}
