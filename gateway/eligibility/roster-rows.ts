/**
 * What both roster formats share: the columns Passerelle reads, the row a record gives (a coverage, or
 * why the record was refused), and the checks of its values (dates, status, relationship, lengths).
 */
import type { Bilingual } from '../fhir/outcomes.js';
import type { Language } from '../validation/rules.js';
import type { CoverageStatus, RegistryCoverage } from './member-store.js';

export type RosterFormat = 'csv' | 'ndjson';

/** The CSV columns Passerelle reads (any other column is ignored). */
export const ROSTER_COLUMNS = ['member_id', 'coverage_id', 'plan', 'start', 'end', 'status', 'relationship', 'subscriber_id'] as const;

export type RosterColumn = (typeof ROSTER_COLUMNS)[number];

/** Our column → the insurer's header for it, e.g. { member_id: 'MATRICULE', start: 'DEBUT' }. */
export type ColumnMapping = Partial<Record<RosterColumn, string>>;

/** Codes of http://terminology.hl7.org/CodeSystem/subscriber-relationship. */
export const RELATIONSHIPS = ['self', 'spouse', 'child', 'parent', 'common', 'injured', 'other'] as const;

/**
 * One record of a roster: a coverage, or why the record was refused, in both languages (coverageId when
 * it could be read: it stays out of the message, which never names a member).
 */
export type RosterRow =
  | { readonly line: number; readonly coverage: RegistryCoverage }
  | { readonly line: number; readonly error: Bilingual; readonly coverageId?: string };

/** How to read a roster. */
export interface RosterOptions {
  /** The insurer's member identifier system (its eligibility settings). */
  readonly memberSystem: string;
  /** CSV: the insurer's own headers for our columns. */
  readonly columns?: ColumnMapping;
  /** CSV: the separator; detected from the header line when unset. */
  readonly delimiter?: ',' | ';';
}

/**
 * The file as a whole cannot be read as a roster (no header, broken quoting...): nothing of it is usable.
 * Its message is the English of `text`.
 */
export class RosterFormatError extends Error {
  override readonly name = 'RosterFormatError';
  constructor(readonly text: Bilingual, options?: ErrorOptions) {
    super(text.en, options);
  }
}

export type Input = AsyncIterable<Buffer | string>;

export const MAX_RECORD_BYTES = 1 << 20;

const MAX_ID_LENGTH = 100;

const STATUSES: ReadonlySet<string> = new Set(['active', 'cancelled']);

const RELATIONSHIP_CODES: ReadonlySet<string> = new Set(RELATIONSHIPS);

/** The raw values of one record, and how its messages name each of them (column or FHIR element) in each language. */
export interface Fields {
  readonly values: Partial<Record<RosterColumn, string>>;
  readonly label: (column: RosterColumn, language: Language) => string;
  readonly startRequired: boolean;
  readonly dateFormats: Bilingual;
}

/** The date formats of CSV rosters, as messages name them. */
export const CSV_DATE_FORMATS: Bilingual = { en: 'YYYY-MM-DD or DD/MM/YYYY', fr: 'AAAA-MM-JJ ou JJ/MM/AAAA' };

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
export function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

export function calendarDate(year: number, month: number, day: number): string | undefined {
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  return `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** A value quoted for a message, cut short (it is the file's content, shown to the operator). */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** A message naming columns, given the name of each column in its language. */
type Wording = (label: (column: RosterColumn) => string) => string;

/** Both languages of a message naming columns (built only for a refused record). */
function wordings(fields: Fields, en: Wording, fr: Wording): Bilingual {
  return { en: en((column) => fields.label(column, 'en')), fr: fr((column) => fields.label(column, 'fr')) };
}

/** The coverage of a record, or the first problem found in it, in both languages. */
function coverageOf(fields: Fields, memberSystem: string): RegistryCoverage | Bilingual {
  const { values: v } = fields;
  if (!v.member_id) return wordings(fields, (l) => `${l('member_id')} is missing`, (l) => `${l('member_id')} : valeur absente`);
  for (const column of ['member_id', 'coverage_id', 'subscriber_id', 'plan'] as const) {
    // Identifiers are not repeated in messages: they name members.
    if ((v[column]?.length ?? 0) > MAX_ID_LENGTH) {
      return wordings(fields, (l) => `${l(column)} is longer than ${MAX_ID_LENGTH} characters`, (l) => `${l(column)} dépasse ${MAX_ID_LENGTH} caractères`);
    }
  }
  if (!v.start && fields.startRequired) return wordings(fields, (l) => `${l('start')} is missing`, (l) => `${l('start')} : valeur absente`);
  const formats = fields.dateFormats;
  const start = v.start ? rosterDate(v.start) : undefined;
  if (v.start && !start) {
    return wordings(fields, (l) => `${l('start')} ${quoted(v.start!)} is not a date (${formats.en})`, (l) => `${l('start')} ${quoted(v.start!)} n'est pas une date (${formats.fr})`);
  }
  const end = v.end ? rosterDate(v.end) : undefined;
  if (v.end && !end) {
    return wordings(fields, (l) => `${l('end')} ${quoted(v.end!)} is not a date (${formats.en})`, (l) => `${l('end')} ${quoted(v.end!)} n'est pas une date (${formats.fr})`);
  }
  if (start && end && end < start) return wordings(fields, (l) => `${l('end')} ${end} is before ${l('start')} ${start}`, (l) => `${l('end')} ${end} précède ${l('start')} ${start}`);
  const status = v.status ? v.status.toLowerCase() : 'active';
  if (!STATUSES.has(status)) {
    return wordings(fields, (l) => `${l('status')} ${quoted(v.status!)} is not active or cancelled`, (l) => `${l('status')} ${quoted(v.status!)} n'est ni active ni cancelled`);
  }
  const relationship = v.relationship?.toLowerCase();
  if (relationship && !RELATIONSHIP_CODES.has(relationship)) {
    return wordings(fields, (l) => `${l('relationship')} ${quoted(v.relationship!)} is not a subscriber-relationship code (${RELATIONSHIPS.join(', ')})`,
      (l) => `${l('relationship')} ${quoted(v.relationship!)} n'est pas un code de subscriber-relationship (${RELATIONSHIPS.join(', ')})`);
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

export function rowOf(line: number, fields: Fields, memberSystem: string): RosterRow {
  const coverage = coverageOf(fields, memberSystem);
  if ('coverageId' in coverage) return { line, coverage };
  const coverageId = fields.values.coverage_id || fields.values.member_id;
  return coverageId && coverageId.length <= MAX_ID_LENGTH ? { line, error: coverage, coverageId } : { line, error: coverage };
}

export function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}
