import type { EligibilityQuestion } from './eligibility-request.js';
import { coversDates, findingOf, responseFromCoverages } from './eligibility-response.js';
import { serviceDates } from '../claims/service-dates.js';

const insurer = {
  id: 'ipm', name: 'IPM', eligibility: {
    mode: 'synced', memberSystem: 'urn:ipm:member', policy: 'reject',
    plans: { GOLD: { name: 'Or', benefits: [{ category: '3', copayPercent: 10, excludedServices: ['COSM01'] }, { category: '1', maxAmount: 500000 }] } },
  },
} as unknown as EligibilityQuestion['insurer'];

function question(changes: Partial<EligibilityQuestion> = {}): EligibilityQuestion {
  return {
    bundle: { resourceType: 'Bundle', type: 'collection' }, request: { resourceType: 'CoverageEligibilityRequest' } as never, providerId: 'clinic', insurer,
    member: { system: 'urn:ipm:member', value: 'M1' }, date: '2026-06-15', purposes: ['validation'], items: [], warnings: [], ...changes,
  };
}
const ids = { responseId: 'r1', requestId: 'q1', created: new Date('2026-06-15T10:00:00Z') };
const gold = { coverageId: 'c1', status: 'active' as const, periodStart: '2026-01-01', periodEnd: '2026-12-31', plan: 'GOLD' };

describe('coversDates', () => {
  it('needs an active coverage whose period holds every day asked', () => {
    expect(coversDates(gold, '2026-01-01', '2026-12-31')).toBe(true);
    expect(coversDates(gold, '2025-12-31', '2026-01-02')).toBe(false);
    expect(coversDates(gold, '2026-12-30', '2027-01-01')).toBe(false);
    expect(coversDates({ ...gold, status: 'cancelled' }, '2026-06-15')).toBe(false);
    expect(coversDates({ status: 'active' }, '1999-01-01')).toBe(true); // open period
  });
});

describe('responseFromCoverages', () => {
  it('answers member-unknown without coverage', () => {
    const r = responseFromCoverages(question(), ids, []);
    expect(r).toMatchObject({ outcome: 'error', error: [{ code: { coding: [{ code: 'member-unknown' }] } }], request: { reference: 'CoverageEligibilityRequest/q1' } });
    expect(r.insurance).toBeUndefined();
  });

  it('gives the benefits of the plan per category asked, and excludes a service the plan excludes', () => {
    const category = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/ex-benefitcategory', code }] });
    const r = responseFromCoverages(question({ purposes: ['benefits'], items: [
      { category: category('3') }, { category: category('3'), productOrService: { coding: [{ code: 'COSM01' }] } }, { category: category('9') },
    ] }), ids, [gold]);
    const items = r.insurance![0]!.item!;
    expect(items[0]!.benefit).toEqual([{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/benefit-type', code: 'copay-percent' }] }, allowedUnsignedInt: 10 }]);
    expect(items[1]).toMatchObject({ excluded: true });
    expect(items[1]!.benefit).toBeUndefined();
    expect(items[2]!.benefit).toBeUndefined();
    expect(items[2]!.description).toMatch(/No benefit/);
    expect(r.disposition).toBe('Covered by IPM on 2026-06-15 (plan Or), until 2026-12-31');
  });

  it('lists every category of the plan when benefits are asked without items', () => {
    const r = responseFromCoverages(question({ purposes: ['benefits'] }), ids, [gold]);
    expect(r.insurance![0]!.item!.map((i) => i.category?.coding?.[0]?.code)).toEqual(['3', '1']);
    expect(r.insurance![0]!.item![1]!.benefit![0]).toMatchObject({ allowedMoney: { value: 500000, currency: 'XOF' } });
  });

  it('says why a member is not covered', () => {
    const r = responseFromCoverages(question({ date: '2026-06-15', endDate: '2027-01-10' }), ids, [gold]);
    expect(r.insurance![0]!.inforce).toBe(false);
    expect(r.servicedPeriod).toEqual({ start: '2026-06-15', end: '2027-01-10' });
    expect(r.disposition).toBe('Not covered by IPM from 2026-06-15 to 2027-01-10 (covered from 2026-01-01 to 2026-12-31)');
    expect(responseFromCoverages(question(), ids, [{ ...gold, status: 'ended', periodEnd: '2026-03-31' }]).disposition).toMatch(/coverage ended from 2026-01-01 to 2026-03-31/);
  });
});

describe('findingOf', () => {
  it('keeps what an insurer answer says about coverage, and refuses an answer that says nothing', () => {
    expect(findingOf({ resourceType: 'CoverageEligibilityResponse', outcome: 'complete', insurance: [{ inforce: true }], patient: { reference: 'Patient/1' } } as never))
      .toEqual({ outcome: 'complete', disposition: undefined, insurance: [{ inforce: true }], error: undefined });
    expect(findingOf({ resourceType: 'CoverageEligibilityResponse', outcome: 'queued' } as never)).toBeUndefined();
    expect(findingOf({ resourceType: 'CoverageEligibilityResponse', outcome: 'complete', insurance: 'yes' } as never)).toBeUndefined();
  });
});

describe('serviceDates', () => {
  it("spans the items' dates and periods, else the billable period, else created", () => {
    expect(serviceDates({ item: [{ servicedDate: '2026-03-02' }, { servicedPeriod: { start: '2026-02-27', end: '2026-03-05T10:00:00Z' } }] } as never)).toEqual({ start: '2026-02-27', end: '2026-03-05' });
    expect(serviceDates({ billablePeriod: { start: '2026-01-10', end: '2026-01-12' }, item: [{}] } as never)).toEqual({ start: '2026-01-10', end: '2026-01-12' });
    expect(serviceDates({ created: '2026-04-01T08:00:00Z' } as never)).toEqual({ start: '2026-04-01', end: '2026-04-01' });
  });
});
