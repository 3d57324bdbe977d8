// GET /{insurerId}/fhir/metadata: a small CapabilityStatement so FHIR clients can discover what the
// sandbox insurer supports.
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
            type: 'CoverageEligibilityRequest',
            operation: [{ name: 'submit', definition: 'http://hl7.org/fhir/OperationDefinition/CoverageEligibilityRequest-submit' }],
          },
        ],
      },
    ],
  };
}
