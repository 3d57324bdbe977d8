import type { CoverageEligibilityRequest } from '@medplum/fhirtypes';
import { benefitItems, evaluateEligibility, MEDICAL_CARE } from './eligibility.js';
import type { MemberCoverage } from './registry.js';
import { defaultSeedFile, loadSeedFile } from './seed.js';

const NOW = new Date('2025-06-15T10:00:00Z');
const insurer = loadSeedFile(defaultSeedFile()).insurers[0]!; // 80 % payer share, COSM01 excluded
const member: MemberCoverage = {
  identifier: { system: insurer.memberSystem, value: 'M0042' },
  period: { start: '2025-01-01', end: '2025-12-31' },
  plan: 'STANDARD',
  status: 'active',
};
const COPAY_20 = [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'copay-percent' }] }, allowedUnsignedInt: 20 }];

function request(overrides: Partial<CoverageEligibilityRequest>): CoverageEligibilityRequest {
  return { resourceType: 'CoverageEligibilityRequest', status: 'active', purpose: ['validation'], created: '2025-06-15', patient: {}, insurer: {}, ...overrides } as CoverageEligibilityRequest;
}

describe('eligibility benefits', () => {
  test('one Medical Care benefit when no item is asked about', () => {
    expect(benefitItems(request({}), insurer)).toEqual([{ category: MEDICAL_CARE, benefit: COPAY_20 }]);
  });

  test('one item per requested item; an excluded service has no benefit', () => {
    const lab = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-benefitcategory', code: '5', display: 'Diagnostic Lab' }] };
    const items = benefitItems(
      request({
        item: [
          { category: lab, productOrService: { coding: [{ code: 'LAB01' }] } },
          { productOrService: { coding: [{ code: 'COSM01' }] } },
        ],
      }),
      insurer,
    );
    expect(items).toEqual([
      { category: lab, productOrService: { coding: [{ code: 'LAB01' }] }, benefit: COPAY_20 },
      { category: MEDICAL_CARE, productOrService: { coding: [{ code: 'COSM01' }] }, excluded: true },
    ]);
  });

  test('benefits purpose adds the plan and items; validation does not; cancelled is not in force', () => {
    const input = { insurer, member, memberIdentifier: member.identifier, now: NOW, responseId: 'r1' };
    const benefits = evaluateEligibility({ ...input, request: request({ purpose: ['validation', 'benefits'] }) });
    expect(benefits.insurance?.[0]).toMatchObject({ inforce: true, coverage: { display: 'Plan STANDARD' }, item: [{ category: MEDICAL_CARE }] });
    const validation = evaluateEligibility({ ...input, request: request({}) });
    expect(validation.insurance?.[0]?.item).toBeUndefined();
    expect(validation.insurance?.[0]?.coverage?.display).toBeUndefined();
    const cancelled = evaluateEligibility({ ...input, member: { ...member, status: 'cancelled' }, request: request({}) });
    expect(cancelled.insurance?.[0]?.inforce).toBe(false);
    expect(cancelled.disposition).toBe('Coverage cancelled (was 2025-01-01 to 2025-12-31).');
  });
});
