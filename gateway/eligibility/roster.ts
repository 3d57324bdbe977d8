/**
 * Roster files: an insurer's list of coverages, as CSV (its own export, with its own headers) or as FHIR
 * bulk-data NDJSON (Patient and Coverage lines), read as a stream: a roster may hold a million lines, so
 * only one record (and, for NDJSON, the Patients still waiting for their Coverage) is held at a time.
 * Each record gives a coverage or a per-line error; problems with the file as a whole (no header, broken
 * quoting) throw RosterFormatError, because nothing after them can be trusted.
 */
import { parseCsvRoster } from './roster-csv.js';
import { parseNdjsonRoster } from './roster-ndjson.js';
import type { Input, RosterFormat, RosterOptions, RosterRow } from './roster-rows.js';

export { checkColumnMapping, detectDelimiter, parseCsvRoster } from './roster-csv.js';
export { parseNdjsonRoster } from './roster-ndjson.js';
export {
  RELATIONSHIPS, ROSTER_COLUMNS, RosterFormatError, rosterDate,
  type ColumnMapping, type RosterColumn, type RosterFormat, type RosterOptions, type RosterRow,
} from './roster-rows.js';

/** Reads a roster of either format. */
export function parseRoster(input: Input, format: RosterFormat, options: RosterOptions): AsyncGenerator<RosterRow> {
  return format === 'csv' ? parseCsvRoster(input, options) : parseNdjsonRoster(input, options);
}
