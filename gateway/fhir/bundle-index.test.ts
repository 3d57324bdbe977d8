import { BundleIndex } from './bundle-index.js';

const entries = [
  { fullUrl: 'urn:uuid:7f0e7c43-1111-4c1e-9a3e-2f7d1c2a0001', resource: { resourceType: 'Patient' } },
  { fullUrl: 'http://clinic.example/fhir/Coverage/cov-1', resource: { resourceType: 'Coverage', id: 'cov-1' } },
  { resource: { resourceType: 'Organization', id: 'org-9' } },
];

describe('BundleIndex', () => {
  const index = new BundleIndex(entries);

  it('resolves urn:uuid fullUrls', () => {
    expect(index.resolve({ reference: 'urn:uuid:7f0e7c43-1111-4c1e-9a3e-2f7d1c2a0001' })?.index).toBe(0);
  });

  it('resolves absolute fullUrls and relative Type/id', () => {
    expect(index.resolve({ reference: 'http://clinic.example/fhir/Coverage/cov-1' })?.index).toBe(1);
    expect(index.resolve({ reference: 'Coverage/cov-1' })?.index).toBe(1);
    expect(index.resolve({ reference: 'Organization/org-9' })?.index).toBe(2);
    expect(index.resolve({ reference: 'Organization/org-9/_history/2' })?.index).toBe(2);
  });

  it('checks the expected type and refuses what is not there', () => {
    expect(index.resolve({ reference: 'Coverage/cov-1' }, 'Patient')).toBeUndefined();
    expect(index.resolve({ reference: 'Patient/nobody' })).toBeUndefined();
    expect(index.resolve({ identifier: { value: 'x' } })).toBeUndefined();
    expect(index.resolve(undefined)).toBeUndefined();
  });
});
