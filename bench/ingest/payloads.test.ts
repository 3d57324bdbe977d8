import type { Bundle, Claim, Coverage } from '@medplum/fhirtypes';
import { repositoryRoot } from '../harness/paths.js';
import { addressedTo, bodyFor, bodyTemplate, ingestPayloads, shiftYear, syntheaYear } from './payloads.js';

const bundle: Bundle = {
  resourceType: 'Bundle', type: 'collection',
  entry: [
    { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Claim', identifier: [{ system: 'urn:demo-clinic:claim', value: 'CLM-1' }], insurer: { identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } } } as Claim },
    { fullUrl: 'urn:uuid:2', resource: { resourceType: 'Coverage', payor: [{ identifier: { system: 'urn:passerelle:participant', value: 'demo-insurer' } }] } as Coverage },
  ],
};

describe('bodyTemplate and bodyFor', () => {
  it('make the compact JSON of the bundle with the identifier value given, the rest unchanged', () => {
    const body = JSON.parse(bodyFor(bodyTemplate(bundle), 'abc-42')) as Bundle;
    const expected = structuredClone(bundle);
    (expected.entry![0]!.resource as Claim).identifier![0]!.value = 'abc-42';
    expect(body).toEqual(expected);
  });

  it('give bodies that differ by the identifier alone', () => {
    const template = bodyTemplate(bundle);
    const [a, b] = [bodyFor(template, 'x-1'), bodyFor(template, 'x-2')];
    expect(a.replace('x-1', 'x-2')).toBe(b);
    expect(a.length).toBe(JSON.stringify(bundle).length - 'CLM-1'.length + 'x-1'.length);
  });

  it('refuse an identifier that would need escaping, and a bundle without a Claim identifier', () => {
    expect(() => bodyFor(bodyTemplate(bundle), 'a"b')).toThrow();
    const bare = structuredClone(bundle);
    delete (bare.entry![0]!.resource as Claim).identifier;
    expect(() => bodyTemplate(bare)).toThrow();
  });
});

describe('addressedTo', () => {
  it('names the insurer in Claim.insurer and every Coverage payor, leaving the original alone', () => {
    const copy = addressedTo(bundle, 'bench-ipm');
    expect((copy.entry![0]!.resource as Claim).insurer!.identifier!.value).toBe('bench-ipm');
    expect((copy.entry![1]!.resource as Coverage).payor[0]!.identifier!.value).toBe('bench-ipm');
    expect((bundle.entry![0]!.resource as Claim).insurer!.identifier!.value).toBe('demo-insurer');
  });
});

describe('dates of the Synthea-like bundle', () => {
  it('move to the latest year whose 14 May has passed', () => {
    expect(syntheaYear(new Date('2026-11-22T10:00:00Z'))).toBe(2026);
    expect(syntheaYear(new Date('2026-05-15T00:00:00Z'))).toBe(2026);
    expect(syntheaYear(new Date('2026-05-14T23:00:00Z'))).toBe(2025);
  });

  it('shift date strings of one year only', () => {
    expect(shiftYear('{"a":"2025-05-12","b":"1978-2025","c":"2009-07-01"}', 2025, 2026)).toBe('{"a":"2026-05-12","b":"1978-2025","c":"2009-07-01"}');
  });
});

describe('ingestPayloads', () => {
  it('gives the small, large and Synthea-like claims, each a Claim-led bundle dated for the run', async () => {
    const payloads = await ingestPayloads(repositoryRoot(), new Date('2026-11-22T10:00:00Z'));
    expect(payloads.map((p) => [p.name, p.clientId])).toEqual([['small claim', 'demo-clinic'], ['large claim', 'demo-clinic'], ['Synthea-like', 'demo-hospital']]);
    const claims = payloads.map((p) => p.bundle.entry![0]!.resource as Claim);
    expect(claims[0]!.item!.every((i) => i.servicedDate === '2026-11-22')).toBe(true);
    expect(claims[1]!.item).toHaveLength(100);
    expect(claims[1]!.item!.every((i) => i.servicedDate === '2026-11-22')).toBe(true);
    expect(claims[2]!.billablePeriod!.start!.startsWith('2026-05-12')).toBe(true);
    expect(JSON.stringify(payloads)).not.toContain('TODAY');
  });
});
