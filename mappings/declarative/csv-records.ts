/**
 * Mapped claims as CSV: one row per item with the claim's fields repeated, columns in the spec's order
 * (claim fields, item fields, after-fields). RFC 4180 quoting, `\n` line ends, the spec's delimiter.
 */
import type { MappingSpec } from './spec-schema.js';

/** The column names of the spec's CSV, in order. */
export function csvHeader(spec: MappingSpec): string[] {
  return [...spec.claim.fields, ...(spec.claim.items?.fields ?? []), ...spec.claim.after].map((f) => f.name);
}

/**
 * The rows of one mapped claim (a record from mapClaim): one per item, or a single row with empty
 * item columns for a claim without items.
 */
export function csvRows(spec: MappingSpec, record: Readonly<Record<string, unknown>>): string[][] {
  const claimCells = spec.claim.fields.map((f) => cell(record[f.name]));
  const afterCells = spec.claim.after.map((f) => cell(record[f.name]));
  const itemFields = spec.claim.items?.fields ?? [];
  const lines = spec.claim.items ? record[spec.claim.items.name] : undefined;
  const items = Array.isArray(lines) && lines.length > 0 ? (lines as Array<Record<string, unknown>>) : [{}];
  return items.map((item) => [...claimCells, ...itemFields.map((f) => cell(item[f.name])), ...afterCells]);
}

/** Rows as CSV text: each line ends with `\n`. */
export function csvLines(spec: MappingSpec, rows: readonly (readonly string[])[]): string {
  const delimiter = spec.csv?.delimiter ?? ',';
  return rows.map((row) => `${row.map((value) => quoted(value, delimiter)).join(delimiter)}\n`).join('');
}

/** A batch file: the header, then every record's rows. */
export function csvBatch(spec: MappingSpec, records: ReadonlyArray<Readonly<Record<string, unknown>>>): string {
  return csvLines(spec, [csvHeader(spec), ...records.flatMap((record) => csvRows(spec, record))]);
}

/** A record value as CSV text: absent is empty, numbers and booleans as JSON writes them. */
function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** RFC 4180: a field holding the delimiter, a quote or a line break is quoted, its quotes doubled. */
export function quoted(value: string, delimiter: string): string {
  return value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
