import type { Coverage } from '@medplum/fhirtypes';
import { CoverageRejected, registryCoverageOf } from './fhir-coverage.js';

const SYSTEM = 'urn:ipm:member';
const base: Coverage = {
  resourceType: 'Coverage', id: 'cov-1', status: 'active', beneficiary: { reference: 'Patient/p1' }, payor: [{ reference: 'Organization/ipm' }],
  identifier: [{ system: 'urn:other', value: 'X' }, { system: SYSTEM, value: ' M0001 ' }],
  period: { start: '2026-01-01', end: '2026-12-31T23:59:59Z' }, subscriberId: 'M0000',
  relationship: { coding: [{ code: 'child' }] }, class: [{ type: { coding: [{ code: 'group' }] }, value: 'G1' }, { type: { coding: [{ code: 'plan' }] }, value: 'GOLD' }],
};

describe('registryCoverageOf', () => {
  it('keeps ids, status, period, plan, relationship and subscriber', () => {
    expect(registryCoverageOf(base, SYSTEM)).toEqual({
      coverageId: 'cov-1', memberSystem: SYSTEM, memberId: 'M0001', status: 'active', subscriberId: 'M0000', relationship: 'child', plan: 'GOLD',
      periodStart: '2026-01-01', periodEnd: '2026-12-31',
    });
  });

  it("finds the member number on the beneficiary when the Coverage has none", () => {
    const bare = { ...base, identifier: undefined };
    expect(registryCoverageOf(bare, SYSTEM, (ref) => (ref === 'Patient/p1' ? 'M0042' : undefined)).memberId).toBe('M0042');
    expect(registryCoverageOf({ ...bare, beneficiary: { identifier: { system: SYSTEM, value: 'M0043' } } }, SYSTEM).memberId).toBe('M0043');
  });

  it.each([
    ['no id', { id: undefined }, /Coverage has no id/],
    ['no member number', { identifier: [{ system: 'urn:other', value: 'X' }] }, /no identifier with system urn:ipm:member/],
    ['a status neither active nor cancelled', { status: 'draft' }, /status "draft"/],
    ['an impossible date', { period: { start: '2026-02-30' } }, /period.start "2026-02-30" is not a FHIR date/],
    ['a period ending before it starts', { period: { start: '2026-05-01', end: '2026-04-01' } }, /before Coverage.period.start/],
    ['a relationship that is not a code of subscriber-relationship', { relationship: { coding: [{ code: 'cousin' }] } }, /not a subscriber-relationship code/],
  ])('rejects a Coverage with %s', (_case, change, message) => {
    expect(() => registryCoverageOf({ ...base, ...change } as Coverage, SYSTEM)).toThrow(CoverageRejected);
    expect(() => registryCoverageOf({ ...base, ...change } as Coverage, SYSTEM)).toThrow(message);
  });

  it('says why in French too (CoverageRejected.text), naming the element and never the member', () => {
    const rejected = (change: Partial<Coverage>) => {
      try {
        registryCoverageOf({ ...base, ...change } as Coverage, SYSTEM);
      } catch (err) {
        if (err instanceof CoverageRejected) return err.text;
      }
      throw new Error('not rejected');
    };
    expect(rejected({ period: { start: '2026-02-30' } })).toEqual({
      en: 'Coverage.period.start "2026-02-30" is not a FHIR date or dateTime', fr: 'Coverage.period.start "2026-02-30" n\'est pas une date FHIR (date ou dateTime)',
    });
    expect(rejected({ identifier: [{ system: 'urn:other', value: 'X' }] }).fr).toBe("la Coverage n'a pas d'identifiant du système urn:ipm:member, son bénéficiaire non plus");
    expect(rejected({ status: 'draft' } as Partial<Coverage>).fr).toBe('Coverage.status "draft" n\'est ni active ni cancelled');
  });
});
