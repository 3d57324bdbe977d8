/**
 * FHIR bulk-data NDJSON rosters (Patient and Coverage lines), read line by line: a Coverage gives a
 * coverage (through the one FHIR Coverage conversion, fhir-coverage.ts); a Patient only lends its member
 * number to the Coverage that follows it.
 */
import type { Bilingual } from '../fhir/outcomes.js';
import { coverageFromFhir, identifierValue, isObject, type Json } from './fhir-coverage.js';
import { MAX_RECORD_BYTES, quoted, toBuffer, type Input, type RosterOptions, type RosterRow } from './roster-rows.js';

/** Patients waiting for their Coverage: beyond this the oldest are forgotten (their Coverage then says so). */
const MAX_PENDING_PATIENTS = 100_000;

/**
 * Reads a FHIR bulk-data NDJSON roster: Coverage lines give coverages; Patient lines only lend their
 * member identifier to a Coverage further down whose beneficiary they are (then they are forgotten).
 */
export async function* parseNdjsonRoster(input: Input, options: RosterOptions): AsyncGenerator<RosterRow> {
  const patients = new PatientIndex(options.memberSystem);
  for await (const { line, text, tooLong } of lines(input)) {
    if (tooLong) {
      yield { line, error: { en: `is longer than ${MAX_RECORD_BYTES} bytes`, fr: `dépasse ${MAX_RECORD_BYTES} octets` } };
      continue;
    }
    if (text.trim() === '') continue;
    let resource: unknown;
    try {
      resource = JSON.parse(text);
    } catch {
      yield { line, error: { en: 'is not valid JSON', fr: "n'est pas du JSON valide" } };
      continue;
    }
    if (!isObject(resource)) {
      yield { line, error: { en: 'is not a FHIR resource (a JSON object)', fr: "n'est pas une ressource FHIR (un objet JSON)" } };
      continue;
    }
    if (resource.resourceType === 'Patient') {
      const error = patients.add(resource);
      if (error) yield { line, error };
    } else if (resource.resourceType === 'Coverage') {
      yield coverageRow(line, resource, options.memberSystem, patients);
    } else {
      const type = quoted(String(resource.resourceType ?? ''));
      yield { line, error: { en: `unsupported resourceType ${type} (only Patient and Coverage)`, fr: `resourceType ${type} non pris en charge (seulement Patient et Coverage)` } };
    }
  }
}

function coverageRow(line: number, coverage: Json, memberSystem: string, patients: PatientIndex): RosterRow {
  return { line, ...coverageFromFhir(coverage, memberSystem, (beneficiary) => beneficiaryMember(beneficiary, memberSystem, patients)) };
}

/** The member number of a Coverage without one of its own: its beneficiary's, or why it has none. */
function beneficiaryMember(beneficiary: unknown, memberSystem: string, patients: PatientIndex): string | { error: Bilingual } {
  const noMember = (en: string, fr: string) => ({
    error: { en: `Coverage has no identifier with system ${memberSystem} ${en}`, fr: `la Coverage n'a pas d'identifiant du système ${memberSystem} ${fr}` },
  });
  if (!isObject(beneficiary)) return noMember('and no beneficiary', 'et pas de bénéficiaire');
  const logical = isObject(beneficiary.identifier) ? identifierValue([beneficiary.identifier], memberSystem) : undefined;
  if (logical) return logical;
  const patientId = typeof beneficiary.reference === 'string' ? /(?:^|\/)Patient\/([^/]+)$/.exec(beneficiary.reference)?.[1] : undefined;
  if (!patientId) return noMember('and its beneficiary is no Patient reference', "et son bénéficiaire n'est pas une référence à un Patient");
  const found = patients.take(patientId);
  // The Patient's id is left out of messages: exports often build it from the member number.
  if (found === undefined) return noMember('and its beneficiary Patient is not on an earlier line', "et son Patient bénéficiaire n'est sur aucune ligne précédente");
  if (found === null) return noMember('and neither has its beneficiary Patient', 'et son Patient bénéficiaire non plus');
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
  add(patient: Json): Bilingual | undefined {
    if (typeof patient.id !== 'string' || patient.id === '') {
      return { en: 'Patient has no id: no Coverage can refer to it', fr: "le Patient n'a pas d'id : aucune Coverage ne peut y renvoyer" };
    }
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
