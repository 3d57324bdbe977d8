import { coverageResource, patientResource } from './coverage-resources.js';
import type { RegistryMember } from './members.js';
import { defaultSeedFile, loadSeedFile } from './seed.js';

const insurer = loadSeedFile(defaultSeedFile()).insurers[0]!;
const SYSTEM = 'urn:passerelle:demo-insurer:member';

function member(value: string, overrides: Partial<RegistryMember> = {}): RegistryMember {
  return {
    identifier: { system: SYSTEM, value },
    period: { start: '2025-01-01', end: '2025-12-31' },
    plan: 'STANDARD',
    status: 'active',
    lastUpdated: '2025-06-15T10:00:00.000Z',
    ...overrides,
  };
}

describe('registry resources', () => {
  test('the Coverage of a member', () => {
    expect(coverageResource(insurer, member('M0042', { status: 'cancelled', plan: 'GOLD' }))).toEqual({
      resourceType: 'Coverage',
      id: 'cov-M0042',
      meta: { lastUpdated: '2025-06-15T10:00:00.000Z' },
      status: 'cancelled',
      identifier: [{ system: SYSTEM, value: 'M0042' }],
      subscriberId: 'M0042',
      beneficiary: { reference: 'Patient/pat-M0042', identifier: { system: SYSTEM, value: 'M0042' } },
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
      period: { start: '2025-01-01', end: '2025-12-31' },
      payor: [{ identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } }],
      class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan' }] }, value: 'GOLD', name: 'GOLD' }],
    });
  });

  test('the Patient of a member: fake data, the same every time, varying between members', () => {
    const patient = patientResource(insurer, member('M0042'));
    expect(patient).toMatchObject({ resourceType: 'Patient', id: 'pat-M0042', identifier: [{ system: SYSTEM, value: 'M0042' }] });
    expect(patient).toEqual(patientResource(insurer, member('M0042')));
    expect(patient.birthDate).toMatch(/^(19[5-9]\d|200\d)-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])$/);
    expect(['female', 'male']).toContain(patient.gender);
    const names = new Set(['M0001', 'M0002', 'M0003', 'M0004', 'X-ABC'].map((v) => JSON.stringify(patientResource(insurer, member(v)).name)));
    expect(names.size).toBe(5);
  });
});
