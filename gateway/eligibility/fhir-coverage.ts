/**
 * A FHIR Coverage from an insurer's API (its Coverage search, its incremental sync) as the registry keeps
 * it: the one conversion of NDJSON rosters, the incremental sync and live Coverage searches (ids,
 * status, period, plan, relationship, subscriber), with the same checks as CSV rows.
 */
import type { Coverage } from '@medplum/fhirtypes';
import type { Bilingual } from '../fhir/outcomes.js';
import type { Language } from '../validation/rules.js';
import type { RegistryCoverage } from './member-store.js';
import { calendarDate, daysIn, quoted, rowOf, type RosterColumn } from './roster-rows.js';

/** Why a Coverage cannot be kept, in words for a report (the message is the English of `text`). */
export class CoverageRejected extends Error {
  constructor(readonly text: Bilingual) {
    super(text.en);
  }
}

/**
 * The registry row of a Coverage. The member number is the Coverage identifier of the member system,
 * else the beneficiary's (its reference's identifier, or beneficiaryMember for its reference).
 * @throws CoverageRejected naming the element at fault.
 */
export function registryCoverageOf(coverage: Coverage, memberSystem: string, beneficiaryMember?: (reference: string) => string | undefined): RegistryCoverage {
  const result = coverageFromFhir(coverage as unknown as Record<string, unknown>, memberSystem, (beneficiary) => {
    const own = isObject(beneficiary) && isObject(beneficiary.identifier) ? identifierValue([beneficiary.identifier], memberSystem) : undefined;
    const referenced = isObject(beneficiary) && typeof beneficiary.reference === 'string' ? beneficiaryMember?.(beneficiary.reference) : undefined;
    return own ?? referenced ?? {
      error: { en: `Coverage has no identifier with system ${memberSystem}, nor has its beneficiary`, fr: `la Coverage n'a pas d'identifiant du système ${memberSystem}, son bénéficiaire non plus` },
    };
  });
  if ('error' in result) throw new CoverageRejected(result.error);
  return result.coverage;
}

export type Json = Record<string, unknown>;

const COVERAGE_LABELS: Readonly<Record<RosterColumn, string>> = {
  member_id: 'member identifier', coverage_id: 'Coverage.id', plan: 'Coverage.class (plan)', start: 'Coverage.period.start',
  end: 'Coverage.period.end', status: 'Coverage.status', relationship: 'Coverage.relationship', subscriber_id: 'Coverage.subscriberId',
};

/** How messages name an element: its FHIR path, the same in both languages, but for the member identifier. */
const coverageLabel = (column: RosterColumn, language: Language) => (column === 'member_id' && language === 'fr' ? "identifiant d'adhérent" : COVERAGE_LABELS[column]);

/** What a Coverage gives the registry: a row, or the first problem found (naming the element), in both languages. */
export type CoverageConversion = { readonly coverage: RegistryCoverage } | { readonly error: Bilingual; readonly coverageId?: string };

/**
 * A FHIR Coverage as a registry row: the one conversion of rosters, of the incremental sync and of live
 * Coverage searches. The member number is the Coverage identifier of the member system, else what
 * memberOfBeneficiary finds for its beneficiary (or why it finds none).
 */
export function coverageFromFhir(coverage: Json, memberSystem: string, memberOfBeneficiary: (beneficiary: unknown) => string | { error: Bilingual }): CoverageConversion {
  const id = typeof coverage.id === 'string' && coverage.id !== '' ? coverage.id : undefined;
  if (!id) return { error: { en: 'Coverage has no id', fr: "la Coverage n'a pas d'id" } };
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
  if (start === null) return notADate('Coverage.period.start', period.start, id);
  if (end === null) return notADate('Coverage.period.end', period.end, id);
  if (!values.status) return { error: { en: 'Coverage.status is missing', fr: 'Coverage.status : valeur absente' }, coverageId: id };
  if (values.status === 'cancelled' || values.status === 'active') {
    if (start) values.start = start;
    if (end) values.end = end;
    const { line: _line, ...row } = rowOf(0, { values, label: coverageLabel, startRequired: false, dateFormats: { en: 'YYYY-MM-DD', fr: 'AAAA-MM-JJ' } }, memberSystem);
    return row;
  }
  const status = quoted(values.status);
  return { error: { en: `Coverage.status ${status} is not active or cancelled`, fr: `Coverage.status ${status} n'est ni active ni cancelled` }, coverageId: id };
}

function notADate(element: string, value: unknown, coverageId: string): CoverageConversion {
  const text = quoted(String(value));
  return { error: { en: `${element} ${text} is not a FHIR date or dateTime`, fr: `${element} ${text} n'est pas une date FHIR (date ou dateTime)` }, coverageId };
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
