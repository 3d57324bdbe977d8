/**
 * Roster files: an insurer's list of coverages, as CSV (its own export, with its own headers) or as FHIR
 * bulk-data NDJSON (Patient and Coverage lines), read as a stream: a roster may hold a million lines, so
 * only one record (and, for NDJSON, the Patients still waiting for their Coverage) is held at a time.
 * Each record gives a coverage or a per-line error; problems with the file as a whole (no header, broken
 * quoting) throw RosterFormatError, because nothing after them can be trusted.
 */
import { Readable, pipeline } from 'node:stream';
import { CsvError, Parser } from 'csv-parse';
import type { CoverageStatus, RegistryCoverage } from './member-store.js';

export type RosterFormat = 'csv' | 'ndjson';

/** The CSV columns Passerelle reads (any other column is ignored). */
export const ROSTER_COLUMNS = ['member_id', 'coverage_id', 'plan', 'start', 'end', 'status', 'relationship', 'subscriber_id'] as const;
export type RosterColumn = (typeof ROSTER_COLUMNS)[number];

/** Our column → the insurer's header for it, e.g. { member_id: 'MATRICULE', start: 'DEBUT' }. */
export type ColumnMapping = Partial<Record<RosterColumn, string>>;

/** Codes of http://terminology.hl7.org/CodeSystem/subscriber-relationship. */
export const RELATIONSHIPS = ['self', 'spouse', 'child', 'parent', 'common', 'injured', 'other'] as const;

/** One record of a roster: a coverage, or why the record was refused (coverageId when it could be read). */
export type RosterRow =
  | { readonly line: number; readonly coverage: RegistryCoverage }
  | { readonly line: number; readonly error: string; readonly coverageId?: string };

/** How to read a roster. */
export interface RosterOptions {
  /** The insurer's member identifier system (its eligibility settings). */
  readonly memberSystem: string;
  /** CSV: the insurer's own headers for our columns. */
  readonly columns?: ColumnMapping;
  /** CSV: the separator; detected from the header line when unset. */
  readonly delimiter?: ',' | ';';
}

/** The file as a whole cannot be read as a roster (no header, broken quoting...): nothing of it is usable. */
export class RosterFormatError extends Error {
  override readonly name = 'RosterFormatError';
}

type Input = AsyncIterable<Buffer | string>;

const MAX_RECORD_BYTES = 1 << 20;
const MAX_ID_LENGTH = 100;
/** Patients waiting for their Coverage: beyond this the oldest are forgotten (their Coverage then says so). */
const MAX_PENDING_PATIENTS = 100_000;
const STATUSES: ReadonlySet<string> = new Set(['active', 'cancelled']);
const RELATIONSHIP_CODES: ReadonlySet<string> = new Set(RELATIONSHIPS);

/** Reads a roster of either format. */
export function parseRoster(input: Input, format: RosterFormat, options: RosterOptions): AsyncGenerator<RosterRow> {
  return format === 'csv' ? parseCsvRoster(input, options) : parseNdjsonRoster(input, options);
}

// ---- fields shared by both formats ----------------------------------------------------------------

/** The raw values of one record, and how its messages name each of them (column or FHIR element). */
interface Fields {
  readonly values: Partial<Record<RosterColumn, string>>;
  readonly label: (column: RosterColumn) => string;
  readonly startRequired: boolean;
  readonly dateFormats: string;
}

/** A date as YYYY-MM-DD, from YYYY-MM-DD or DD/MM/YYYY; undefined when it is no calendar date. */
export function rosterDate(value: string): string | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const french = iso ? undefined : /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
  const [year, month, day] = iso ? [iso[1], iso[2], iso[3]] : french ? [french[3], french[2], french[1]] : [];
  if (!year || !month || !day) return undefined;
  return calendarDate(Number(year), Number(month), Number(day));
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Without a Date object: this runs twice per row of a million-row roster. */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function calendarDate(year: number, month: number, day: number): string | undefined {
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  return `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** A value quoted for a message, cut short (it is the file's content, shown to the operator). */
function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** The coverage of a record, or the first problem found in it. */
function coverageOf(fields: Fields, memberSystem: string): RegistryCoverage | string {
  const { values: v, label } = fields;
  if (!v.member_id) return `${label('member_id')} is missing`;
  for (const column of ['member_id', 'coverage_id', 'subscriber_id', 'plan'] as const) {
    // Identifiers are not repeated in messages: they name members.
    if ((v[column]?.length ?? 0) > MAX_ID_LENGTH) return `${label(column)} is longer than ${MAX_ID_LENGTH} characters`;
  }
  if (!v.start && fields.startRequired) return `${label('start')} is missing`;
  const start = v.start ? rosterDate(v.start) : undefined;
  if (v.start && !start) return `${label('start')} ${quoted(v.start)} is not a date (${fields.dateFormats})`;
  const end = v.end ? rosterDate(v.end) : undefined;
  if (v.end && !end) return `${label('end')} ${quoted(v.end)} is not a date (${fields.dateFormats})`;
  if (start && end && end < start) return `${label('end')} ${end} is before ${label('start')} ${start}`;
  const status = v.status ? v.status.toLowerCase() : 'active';
  if (!STATUSES.has(status)) return `${label('status')} ${quoted(v.status!)} is not active or cancelled`;
  const relationship = v.relationship?.toLowerCase();
  if (relationship && !RELATIONSHIP_CODES.has(relationship)) {
    return `${label('relationship')} ${quoted(v.relationship!)} is not a subscriber-relationship code (${RELATIONSHIPS.join(', ')})`;
  }
  // Optional fields are left out rather than undefined, so coverages compare equal to what the store returns.
  const coverage: Mutable<RegistryCoverage> = { coverageId: v.coverage_id || v.member_id, memberSystem, memberId: v.member_id, status: status as CoverageStatus };
  if (v.subscriber_id) coverage.subscriberId = v.subscriber_id;
  if (relationship) coverage.relationship = relationship;
  if (v.plan) coverage.plan = v.plan;
  if (start) coverage.periodStart = start;
  if (end) coverage.periodEnd = end;
  return coverage;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function rowOf(line: number, fields: Fields, memberSystem: string): RosterRow {
  const coverage = coverageOf(fields, memberSystem);
  if (typeof coverage !== 'string') return { line, coverage };
  const coverageId = fields.values.coverage_id || fields.values.member_id;
  return coverageId && coverageId.length <= MAX_ID_LENGTH ? { line, error: coverage, coverageId } : { line, error: coverage };
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

// ---- CSV ------------------------------------------------------------------------------------------

/** Throws RosterFormatError when the mapping names a column Passerelle does not read, or no header. */
export function checkColumnMapping(columns: ColumnMapping): void {
  for (const [column, header] of Object.entries(columns)) {
    if (!(ROSTER_COLUMNS as readonly string[]).includes(column)) {
      throw new RosterFormatError(`Unknown column "${column}" in the column mapping; the columns are ${ROSTER_COLUMNS.join(', ')}`);
    }
    if (typeof header !== 'string' || header.trim() === '') throw new RosterFormatError(`The column mapping of ${column} names no header`);
  }
}

/**
 * Reads a CSV roster (RFC 4180, UTF-8 with or without BOM, comma or semicolon): a header row, then one
 * coverage a row. Line numbers are the file's physical lines (the header is line 1).
 */
export async function* parseCsvRoster(input: Input, options: RosterOptions): AsyncGenerator<RosterRow> {
  const mapping = options.columns ?? {};
  checkColumnMapping(mapping);
  const { head, all } = await peekFirstLine(input);
  const parser = new NumberedParser({
    bom: true, delimiter: options.delimiter ?? detectDelimiter(head), relax_column_count: true, relax_quotes: true,
    skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES,
  });
  // Errors of the source (an unreadable file) reach the loop below through the parser.
  pipeline(Readable.from(all), parser, () => undefined);
  let header: Header | undefined;
  // csv-parse 7 counts a CRLF inside a quoted field as two lines, for that record and every later one.
  let extraLines = 0;
  let lastLine = 0;
  try {
    for await (const [lines, record] of parser as AsyncIterable<[number, string[]]>) {
      const breaks = lineBreaksIn(record);
      const line = lines - extraLines - breaks.crlf - breaks.lf;
      extraLines += breaks.crlf;
      lastLine = line + breaks.lf;
      if (record.every((field) => field.trim() === '')) continue;
      if (!header) {
        header = headerOf(record, mapping);
        continue;
      }
      if (record.length !== header.width) {
        yield { line, error: `has ${record.length} fields where the header has ${header.width}` };
        continue;
      }
      const values: Partial<Record<RosterColumn, string>> = {};
      for (const [column, index] of header.indexes) {
        const value = record[index]!.trim();
        if (value !== '') values[column] = value;
      }
      yield rowOf(line, { values, label: header.label, startRequired: true, dateFormats: 'YYYY-MM-DD or DD/MM/YYYY' }, options.memberSystem);
    }
  } catch (err) {
    if (err instanceof CsvError) throw new RosterFormatError(csvErrorText(err, lastLine, extraLines), { cause: err });
    throw err;
  }
  if (!header) throw new RosterFormatError(`The file is empty: a CSV roster starts with a header row (${ROSTER_COLUMNS.join(', ')})`);
}

/**
 * csv-parse's parser with each record numbered by the line it ends on. Its own `info: true` option does
 * the same but builds two objects per record, which made parsing 1.5× slower; the parser pushes each
 * record synchronously while `info` describes it, so reading `info.lines` there is exact.
 */
class NumberedParser extends Parser {
  override push(record: unknown): boolean {
    return super.push(record === null ? null : [this.info.lines, record]);
  }
}

interface Header {
  readonly width: number;
  readonly indexes: ReadonlyArray<readonly [RosterColumn, number]>;
  readonly label: (column: RosterColumn) => string;
}

function headerOf(record: readonly string[], mapping: ColumnMapping): Header {
  const names = record.map((name) => name.trim());
  const indexes: Array<[RosterColumn, number]> = [];
  const labels = new Map<RosterColumn, string>();
  for (const column of ROSTER_COLUMNS) {
    const wanted = (mapping[column] ?? column).trim().toLowerCase();
    const found = names.flatMap((name, i) => (name.toLowerCase() === wanted ? [i] : []));
    if (found.length > 1) throw new RosterFormatError(`The header has ${found.length} columns named "${names[found[0]!]}"`);
    if (found.length === 1) {
      indexes.push([column, found[0]!]);
      labels.set(column, names[found[0]!]!);
    } else if (mapping[column] !== undefined || column === 'member_id' || column === 'start') {
      const mapped = mapping[column] !== undefined ? `"${mapping[column]}" (mapped to ${column})` : column;
      throw new RosterFormatError(`The header has no ${mapped} column. Columns found: ${names.join(', ')}. `
        + `Name yours with a column mapping (--column ${column}=<your header>)`);
    }
  }
  return { width: record.length, indexes, label: (column) => labels.get(column) ?? column };
}

/** Quoted fields may hold line breaks (lf counts every LF, crlf those after a CR); the record started lf lines before it ended. */
function lineBreaksIn(record: readonly string[]): { lf: number; crlf: number } {
  let lf = 0;
  let crlf = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) {
      lf++;
      if (field.charCodeAt(i - 1) === 13) crlf++;
    }
  }
  return { lf, crlf };
}

function csvErrorText(err: CsvError, lastLine: number, extraLines: number): string {
  const line = ((err as CsvError & { lines?: number }).lines ?? 0) - extraLines;
  const unreadable = 'the rest of the file cannot be read reliably';
  switch (err.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `line ${line}: a quoted field goes on after its closing quote (a quote inside a quoted field is written twice: ""); ${unreadable}`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return `line ${lastLine + 1} or after: a quoted field is never closed (a missing quote); ${unreadable}`;
    case 'CSV_MAX_RECORD_SIZE':
      return `line ${lastLine + 1} or after: a record is longer than ${MAX_RECORD_BYTES} bytes (a missing quote?); ${unreadable}`;
    default:
      return `line ${line}: ${err.message}`;
  }
}

/** The first line of the input (up to 64 KiB), and the whole input again, that line included. */
async function peekFirstLine(input: Input): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  while (size < 65_536) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = toBuffer(next.value);
    seen.push(chunk);
    size += chunk.length;
    if (chunk.includes(0x0a)) break;
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* seen.splice(0);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield toBuffer(next.value);
    } finally {
      await iterator.return?.();
    }
  }
  return { head: Buffer.concat(seen), all: all() };
}

/** The separator of the header line: whichever of , and ; it has more of outside quotes (comma if none). */
export function detectDelimiter(head: Buffer | string): ',' | ';' {
  const text = toBuffer(head).toString('utf8');
  const end = text.indexOf('\n');
  let commas = 0;
  let semicolons = 0;
  let quoting = false;
  for (const c of end === -1 ? text : text.slice(0, end)) {
    if (c === '"') quoting = !quoting;
    else if (!quoting && c === ',') commas++;
    else if (!quoting && c === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

// ---- NDJSON ---------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/**
 * Reads a FHIR bulk-data NDJSON roster: Coverage lines give coverages; Patient lines only lend their
 * member identifier to a Coverage further down whose beneficiary they are (then they are forgotten).
 */
export async function* parseNdjsonRoster(input: Input, options: RosterOptions): AsyncGenerator<RosterRow> {
  const patients = new PatientIndex(options.memberSystem);
  for await (const { line, text, tooLong } of lines(input)) {
    if (tooLong) {
      yield { line, error: `is longer than ${MAX_RECORD_BYTES} bytes` };
      continue;
    }
    if (text.trim() === '') continue;
    let resource: unknown;
    try {
      resource = JSON.parse(text);
    } catch {
      yield { line, error: 'is not valid JSON' };
      continue;
    }
    if (!isObject(resource)) {
      yield { line, error: 'is not a FHIR resource (a JSON object)' };
      continue;
    }
    if (resource.resourceType === 'Patient') {
      const error = patients.add(resource);
      if (error) yield { line, error };
    } else if (resource.resourceType === 'Coverage') {
      yield coverageRow(line, resource, options.memberSystem, patients);
    } else {
      yield { line, error: `unsupported resourceType ${quoted(String(resource.resourceType ?? ''))} (only Patient and Coverage)` };
    }
  }
}

const COVERAGE_LABELS: Readonly<Record<RosterColumn, string>> = {
  member_id: 'member identifier', coverage_id: 'Coverage.id', plan: 'Coverage.class (plan)', start: 'Coverage.period.start',
  end: 'Coverage.period.end', status: 'Coverage.status', relationship: 'Coverage.relationship', subscriber_id: 'Coverage.subscriberId',
};

function coverageRow(line: number, coverage: Json, memberSystem: string, patients: PatientIndex): RosterRow {
  return { line, ...coverageFromFhir(coverage, memberSystem, (beneficiary) => beneficiaryMember(beneficiary, memberSystem, patients)) };
}

/** What a Coverage gives the registry: a row, or the first problem found (naming the element). */
export type CoverageConversion = { readonly coverage: RegistryCoverage } | { readonly error: string; readonly coverageId?: string };

/**
 * A FHIR Coverage as a registry row: the one conversion of rosters, of the incremental sync and of live
 * Coverage searches. The member number is the Coverage identifier of the member system, else what
 * memberOfBeneficiary finds for its beneficiary (or why it finds none).
 */
export function coverageFromFhir(coverage: Json, memberSystem: string, memberOfBeneficiary: (beneficiary: unknown) => string | { error: string }): CoverageConversion {
  const id = typeof coverage.id === 'string' && coverage.id !== '' ? coverage.id : undefined;
  if (!id) return { error: 'Coverage has no id' };
  const member = identifierValue(coverage.identifier, memberSystem) ?? memberOfBeneficiary(coverage.beneficiary);
  if (typeof member !== 'string') return { error: member.error, coverageId: id };
  const period = isObject(coverage.period) ? coverage.period : {};
  const values: Partial<Record<RosterColumn, string>> = {
    member_id: member, coverage_id: id, status: typeof coverage.status === 'string' ? coverage.status : undefined,
    plan: planOf(coverage.class), subscriber_id: typeof coverage.subscriberId === 'string' ? coverage.subscriberId : undefined,
    relationship: isObject(coverage.relationship) ? codeOf(coverage.relationship.coding) : undefined,
  };
  const start = fhirDate(period.start, 'start');
  const end = fhirDate(period.end, 'end');
  if (start === null) return { error: `Coverage.period.start ${quoted(String(period.start))} is not a FHIR date or dateTime`, coverageId: id };
  if (end === null) return { error: `Coverage.period.end ${quoted(String(period.end))} is not a FHIR date or dateTime`, coverageId: id };
  if (!values.status) return { error: 'Coverage.status is missing', coverageId: id };
  if (values.status === 'cancelled' || values.status === 'active') {
    if (start) values.start = start;
    if (end) values.end = end;
    const { line: _line, ...row } = rowOf(0, { values, label: (c) => COVERAGE_LABELS[c], startRequired: false, dateFormats: 'YYYY-MM-DD' }, memberSystem);
    return row;
  }
  return { error: `Coverage.status ${quoted(values.status)} is not active or cancelled`, coverageId: id };
}

/** The member number of a Coverage without one of its own: its beneficiary's, or why it has none. */
function beneficiaryMember(beneficiary: unknown, memberSystem: string, patients: PatientIndex): string | { error: string } {
  const noMember = `Coverage has no identifier with system ${memberSystem}`;
  if (!isObject(beneficiary)) return { error: `${noMember} and no beneficiary` };
  const logical = isObject(beneficiary.identifier) ? identifierValue([beneficiary.identifier], memberSystem) : undefined;
  if (logical) return logical;
  const patientId = typeof beneficiary.reference === 'string' ? /(?:^|\/)Patient\/([^/]+)$/.exec(beneficiary.reference)?.[1] : undefined;
  if (!patientId) return { error: `${noMember} and its beneficiary is no Patient reference` };
  const found = patients.take(patientId);
  // The Patient's id is left out of messages: exports often build it from the member number.
  if (found === undefined) return { error: `${noMember} and its beneficiary Patient is not on an earlier line` };
  if (found === null) return { error: `${noMember} and neither has its beneficiary Patient` };
  return found;
}

/**
 * Member numbers of the Patients read so far whose Coverage has not come yet. A Patient is forgotten once
 * its Coverage took its number (the last one stays at hand for a second Coverage right after), so memory
 * holds only the Patients ahead of their Coverage, at most MAX_PENDING_PATIENTS of them.
 */
class PatientIndex {
  private readonly pending = new Map<string, string | null>();
  private last: { id: string; member: string | null } | undefined;

  constructor(private readonly memberSystem: string) {}

  /** Records a Patient; returns an error when it cannot be referred to. */
  add(patient: Json): string | undefined {
    if (typeof patient.id !== 'string' || patient.id === '') return 'Patient has no id: no Coverage can refer to it';
    this.pending.delete(patient.id);
    if (this.pending.size >= MAX_PENDING_PATIENTS) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(patient.id, identifierValue(patient.identifier, this.memberSystem) ?? null);
    return undefined;
  }

  /** The member number of a Patient (null: it has none; undefined: not seen). */
  take(id: string): string | null | undefined {
    const member = this.pending.get(id);
    if (member !== undefined) {
      this.pending.delete(id);
      this.last = { id, member };
      return member;
    }
    return this.last?.id === id ? this.last.member : undefined;
  }
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of the first identifier of this system. */
export function identifierValue(identifiers: unknown, system: string): string | undefined {
  if (!Array.isArray(identifiers)) return undefined;
  for (const identifier of identifiers) {
    // Trimmed: a provider's member number is looked up trimmed.
    if (isObject(identifier) && identifier.system === system && typeof identifier.value === 'string' && identifier.value.trim() !== '') return identifier.value.trim();
  }
  return undefined;
}

function planOf(classes: unknown): string | undefined {
  if (!Array.isArray(classes)) return undefined;
  for (const c of classes) {
    if (isObject(c) && isObject(c.type) && codeOf(c.type.coding) === 'plan' && typeof c.value === 'string') return c.value;
  }
  return undefined;
}

function codeOf(coding: unknown): string | undefined {
  if (!Array.isArray(coding)) return undefined;
  const code = coding.find((c): c is Json => isObject(c) && typeof c.code === 'string')?.code;
  return code as string | undefined;
}

/**
 * A FHIR date or dateTime as YYYY-MM-DD (undefined when absent, null when malformed). A partial date
 * stands for its first day as a start and its last day as an end.
 */
function fhirDate(value: unknown, side: 'start' | 'end'): string | undefined | null {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))?)?)?$/.exec(value) : null;
  if (!match) return null;
  const year = Number(match[1]);
  const month = match[2] ? Number(match[2]) : side === 'start' ? 1 : 12;
  const day = match[3] ? Number(match[3]) : side === 'start' ? 1 : month >= 1 && month <= 12 ? daysIn(year, month) : 0;
  return calendarDate(year, month, day) ?? null;
}

/** The lines of the input (UTF-8, LF or CRLF), numbered from 1; a line past MAX_RECORD_BYTES is skipped whole. */
async function* lines(input: Input): AsyncGenerator<{ line: number; text: string; tooLong?: boolean }> {
  let line = 0;
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let skipping = false;
  const text = (parts: Buffer[]) => {
    let s = (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
    if (line === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  };
  for await (const raw of input) {
    const chunk = toBuffer(raw);
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      line++;
      if (skipping || pendingSize + nl - from > MAX_RECORD_BYTES) yield { line, text: '', tooLong: true };
      else yield { line, text: text(pending.length === 0 ? [chunk.subarray(from, nl)] : [...pending, chunk.subarray(from, nl)]) };
      pending = [];
      pendingSize = 0;
      skipping = false;
      from = nl + 1;
    }
    if (from < chunk.length && !skipping) {
      pending.push(chunk.subarray(from));
      pendingSize += chunk.length - from;
      if (pendingSize > MAX_RECORD_BYTES) {
        skipping = true;
        pending = [];
      }
    }
  }
  if (skipping || pendingSize > 0) {
    line++;
    yield skipping ? { line, text: '', tooLong: true } : { line, text: text(pending) };
  }
}
