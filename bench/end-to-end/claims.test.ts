import { Conformance } from '../../gateway/validation/conformance.js';
import { COVERED_MEMBERS, MEMBER_SYSTEM, claimTemplate, memberOf } from './claims.js';

const options = { providerId: 'bench-clinic', insurerId: 'bench-ipm', identifierSystem: 'urn:passerelle-bench:test', runId: 'run-1', now: new Date('2026-11-22T10:00:00Z') };

describe('claimTemplate', () => {
  const template = claimTemplate(options);

  it('gives each claim its own identifier in the phase\'s system', () => {
    const claims = [0, 1, 2].map((i) => JSON.parse(template.body(i)).entry[0].resource);
    expect(claims.map((c) => c.identifier[0].value)).toEqual(['run-1-0', 'run-1-1', 'run-1-2']);
    expect(claims.every((c) => c.identifier[0].system === options.identifierSystem)).toBe(true);
    expect(template.identifier(7)).toBe('run-1-7');
  });

  it('puts a covered member in the Patient and the Coverage, in turn', () => {
    const bundle = JSON.parse(template.body(COVERED_MEMBERS + 4));
    expect(bundle.entry[1].resource.identifier).toEqual([{ system: MEMBER_SYSTEM, value: 'M0005' }]);
    expect(bundle.entry[2].resource.identifier).toEqual([{ system: MEMBER_SYSTEM, value: 'M0005' }]);
    expect(memberOf(0)).toBe('M0001');
    expect(memberOf(COVERED_MEMBERS - 1)).toBe('M0900');
  });

  it('addresses the claim to the participants, below the pend threshold, dated today', () => {
    const claim = JSON.parse(template.body(0)).entry[0].resource;
    expect(claim.provider.identifier.value).toBe('bench-clinic');
    expect(claim.insurer.identifier.value).toBe('bench-ipm');
    expect(claim.total).toEqual({ value: 23000, currency: 'XOF' });
    expect(claim.billablePeriod.start).toBe('2026-11-22');
    expect(template.bytes).toBe(Buffer.byteLength(template.body(0)));
  });

  it('refuses a run id that would not be a plain identifier value', () => {
    expect(() => claimTemplate({ ...options, runId: 'a b' })).toThrow();
  });

  it('makes bundles the base pack accepts', async () => {
    const conformance = await Conformance.load();
    const issues = conformance.validate(JSON.parse(template.body(3)), { packs: conformance.packsInForce([]) });
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
  });
});
