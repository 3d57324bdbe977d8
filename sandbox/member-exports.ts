// The registry as files, for the gateway's synced mode: an NDJSON of FHIR resources (Patient then
// Coverage per member) and a flat CSV roster. Lines are produced lazily, one member at a time, so a
// range of millions is never held in memory; export-routes.ts writes them out in chunks.
import { coverageResource, patientResource } from './coverage-resources.js';
import type { RegistryMember } from './members.js';
import type { InsurerSeed } from './seed.js';

/** Header row of the CSV export, in column order. */
export const CSV_COLUMNS = ['member_id', 'coverage_id', 'plan', 'start', 'end', 'status', 'relationship', 'subscriber_id'] as const;

/** RFC 4180 line ending. */
const CRLF = '\r\n';

/** Quotes a CSV field when it holds a comma, a quote or a line break (RFC 4180), doubling its quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV line (with its CRLF) from already-ordered values. */
export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(',') + CRLF;
}

/** The CSV row of one member. */
export function csvRow(insurer: InsurerSeed, member: RegistryMember): string {
  const coverage = coverageResource(insurer, member);
  const value = member.identifier.value;
  return csvLine([value, coverage.id ?? '', member.plan, member.period.start, member.period.end, member.status, 'self', value]);
}

/** The CSV export: the header, then one row per member. */
export function* csvLines(insurer: InsurerSeed, members: Iterable<RegistryMember>): Generator<string> {
  yield csvLine(CSV_COLUMNS);
  for (const member of members) {
    yield csvRow(insurer, member);
  }
}

/** The NDJSON export: per member, its Patient line then its Coverage line. */
export function* ndjsonLines(insurer: InsurerSeed, members: Iterable<RegistryMember>): Generator<string> {
  for (const member of members) {
    yield `${JSON.stringify(patientResource(insurer, member))}\n`;
    yield `${JSON.stringify(coverageResource(insurer, member))}\n`;
  }
}

/** Stops an iteration after `limit` items (no limit when undefined). */
export function* take<T>(items: Iterable<T>, limit: number | undefined): Generator<T> {
  if (limit === 0) return;
  let n = 0;
  for (const item of items) {
    yield item;
    n += 1;
    if (limit !== undefined && n >= limit) return;
  }
}
