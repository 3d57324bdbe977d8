// GET /{insurerId}/fhir/metadata: a small CapabilityStatement so FHIR clients can discover what the
// sandbox insurer supports: the two $submit operations and the Coverage search.
import type { CapabilityStatement } from '@medplum/fhirtypes';
import type { InsurerSeed } from './seed.js';

/** The CapabilityStatement of one sandbox insurer. */
export function capabilityStatement(insurer: InsurerSeed, now: Date): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: now.toISOString(),
    publisher: 'Passerelle sandbox',
    kind: 'instance',
    software: { name: 'Passerelle sandbox insurer' },
    implementation: { description: `${insurer.name} (sandbox insurer ${insurer.id})` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource: [
          { type: 'Claim', operation: [{ name: 'submit', definition: 'http://hl7.org/fhir/OperationDefinition/Claim-submit' }] },
          {
            type: 'Coverage',
            interaction: [{ code: 'search-type' }],
            searchParam: [
              { name: 'identifier', type: 'token', documentation: 'Member number: <memberSystem>|<value>, or <value>.' },
              { name: 'beneficiary', type: 'reference', documentation: 'With the :identifier modifier: the member number.' },
              { name: '_lastUpdated', type: 'date', documentation: 'Prefixes gt and ge only, with an instant.' },
            ],
            searchInclude: ['Coverage:beneficiary'],
          },
          {
            type: 'CoverageEligibilityRequest',
            operation: [{ name: 'submit', definition: 'http://hl7.org/fhir/OperationDefinition/CoverageEligibilityRequest-submit' }],
          },
        ],
      },
    ],
  };
}
