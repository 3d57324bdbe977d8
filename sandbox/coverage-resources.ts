// The registry's members as FHIR resources, for the Coverage search and the exports. Deterministic:
// the same member always gives the same Coverage and Patient, so tests and syncs can compare them.
// Patient names and birth dates are fake test data derived from the member number, never real people.
import type { Coverage, Patient } from '@medplum/fhirtypes';
import type { RegistryMember } from './members.js';
import type { InsurerSeed } from './seed.js';

const FAMILY_NAMES = ['Diop', 'Ndiaye', 'Fall', 'Sow', 'Ba', 'Gueye', 'Faye', 'Sarr', 'Diallo', 'Cissé', 'Mbaye', 'Thiam', 'Seck'];
const GIVEN_FEMALE = ['Awa', 'Fatou', 'Aminata', 'Mariama', 'Khady', 'Coumba', 'Astou'];
const GIVEN_MALE = ['Moussa', 'Mamadou', 'Ousmane', 'Cheikh', 'Ibrahima', 'Abdoulaye', 'Modou'];

/** Id of a member's Coverage. */
export function coverageId(member: string): string {
  return `cov-${member}`;
}

/** Id of a member's Patient. */
export function patientId(member: string): string {
  return `pat-${member}`;
}

/** A number to pick fake data with: the member number's digits, else a small hash of it. */
function seedNumber(member: string): number {
  const digits = /(\d+)$/.exec(member)?.[1];
  if (digits) return Number(digits.slice(-9));
  let hash = 0;
  for (const c of member) hash = (hash * 31 + (c.codePointAt(0) ?? 0)) % 1_000_000_007;
  return hash;
}

function pick(list: readonly string[], n: number): string {
  return list[n % list.length] as string;
}

/** The member's Coverage, as the search and the exports answer it. */
export function coverageResource(insurer: InsurerSeed, member: RegistryMember): Coverage {
  const { value } = member.identifier;
  const identifier = { system: insurer.memberSystem, value };
  return {
    resourceType: 'Coverage',
    id: coverageId(value),
    meta: { lastUpdated: member.lastUpdated },
    status: member.status,
    identifier: [identifier],
    subscriberId: value,
    beneficiary: { reference: `Patient/${patientId(value)}`, identifier },
    relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
    period: { start: member.period.start, end: member.period.end },
    payor: [{ identifier: { system: 'urn:passerelle:participant', value: insurer.id } }],
    class: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan' }] },
        value: member.plan,
        name: member.plan,
      },
    ],
  };
}

/** The member's Patient: fake name, gender and birth date derived from the member number. */
export function patientResource(insurer: InsurerSeed, member: RegistryMember): Patient {
  const { value } = member.identifier;
  const n = seedNumber(value);
  const female = n % 2 === 0;
  const given = pick(female ? GIVEN_FEMALE : GIVEN_MALE, Math.floor(n / FAMILY_NAMES.length));
  const month = String((n % 12) + 1).padStart(2, '0');
  const day = String(((n * 7) % 28) + 1).padStart(2, '0');
  return {
    resourceType: 'Patient',
    id: patientId(value),
    meta: { lastUpdated: member.lastUpdated },
    identifier: [{ system: insurer.memberSystem, value }],
    name: [{ family: pick(FAMILY_NAMES, n), given: [given] }],
    gender: female ? 'female' : 'male',
    birthDate: `${1950 + ((n * 13) % 56)}-${month}-${day}`,
  };
}
