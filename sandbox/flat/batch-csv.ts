// The CSV dialect of the batch exchange: UTF-8, ";" between fields, a header row, RFC 4180 quoting,
// CRLF line ends on the files the sandbox writes. Reading a claims file into rows, and writing lines.
import { CsvError, parse } from 'csv-parse/sync';

/** Columns of a claims file, in the order the header gives them. */
export const CLAIM_COLUMNS = [
  'claim_ref',
  'provider_code',
  'member_number',
  'visit_date',
  'diagnosis_code',
  'line_no',
  'act_code',
  'quantity',
  'unit_price',
  'amount',
] as const;

/** Columns of a reply file. */
export const REPLY_COLUMNS = ['claim_ref', 'status', 'line_no', 'amount_claimed', 'amount_covered', 'patient_share', 'reject_code', 'message'] as const;

export type ClaimColumn = (typeof CLAIM_COLUMNS)[number];

/** The one column a claims file may leave out (its values are optional anyway). */
const OPTIONAL_COLUMNS: readonly ClaimColumn[] = ['diagnosis_code'];

/** One data row of a claims file: its row number (the header is row 1) and its values, trimmed. */
export interface ClaimRow {
  readonly row: number;
  readonly values: Readonly<Record<ClaimColumn, string>>;
}

/** The file as a whole cannot be read: it goes to claims/rejected/ with this message beside it. */
export class BatchFileError extends Error {}

const DELIMITER = ';';

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BatchFileError('The file is not valid UTF-8.');
  }
}

function columnIndexes(header: string[]): Map<ClaimColumn, number> {
  const names = header.map((h) => h.trim());
  const repeated = names.filter((n, i) => n !== '' && names.indexOf(n) !== i);
  if (repeated.length > 0) {
    throw new BatchFileError(`The header repeats the column(s) ${[...new Set(repeated)].join(', ')}.`);
  }
  const missing = CLAIM_COLUMNS.filter((c) => !names.includes(c) && !OPTIONAL_COLUMNS.includes(c));
  if (missing.length > 0) {
    throw new BatchFileError(`The header lacks the required column(s) ${missing.join(', ')}. Expected header: ${CLAIM_COLUMNS.join(DELIMITER)}`);
  }
  return new Map(CLAIM_COLUMNS.flatMap((c) => (names.includes(c) ? [[c, names.indexOf(c)] as const] : [])));
}

/**
 * Reads a claims file: the header (every column of CLAIM_COLUMNS but diagnosis_code required, others
 * ignored), then one row per claim line. Rows whose fields are all blank are skipped.
 * @throws BatchFileError when the file is not UTF-8, not CSV of this dialect, or lacks a column.
 */
export function readClaimsFile(bytes: Uint8Array): ClaimRow[] {
  let records: string[][];
  try {
    records = parse(decodeUtf8(bytes), { delimiter: DELIMITER, bom: true, skip_empty_lines: true });
  } catch (err) {
    if (err instanceof CsvError) {
      throw new BatchFileError(`The file is not CSV with ";" between fields and RFC 4180 quoting: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const [header, ...rows] = records;
  if (!header) {
    throw new BatchFileError(`The file is empty. Expected header: ${CLAIM_COLUMNS.join(DELIMITER)}`);
  }
  const indexes = columnIndexes(header);
  return rows.flatMap((fields, i) => {
    if (fields.every((f) => f.trim() === '')) return [];
    const values = Object.fromEntries(CLAIM_COLUMNS.map((c) => [c, fields[indexes.get(c) ?? -1]?.trim() ?? ''])) as Record<ClaimColumn, string>;
    return [{ row: i + 2, values }];
  });
}

/** A field quoted when it holds the delimiter, a quote or a line break, its quotes doubled (RFC 4180). */
function csvField(value: string): string {
  return /[;"\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One line of the dialect, with its CRLF. */
export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(DELIMITER) + '\r\n';
}
