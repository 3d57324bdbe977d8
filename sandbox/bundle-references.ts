// Requests arrive as collection Bundles: the Claim (or eligibility request) first, then what it refers
// to. This file resolves those references inside the Bundle and finds the member number, the one
// piece of the Patient/Coverage the sandbox's rules need.
import type { Bundle, Coverage, Identifier, Patient, Reference, Resource } from '@medplum/fhirtypes';

type MemberIdentifier = Identifier & { system: string; value: string };

/**
 * Finds the resource a reference points at inside a Bundle: by fullUrl (`urn:uuid:...` or absolute
 * URL), or by a relative `Type/id` reference matched against each resource's type and id.
 * @returns the resource when it exists and has the expected type.
 */
export function resolveReference<T extends Resource>(
  bundle: Bundle | undefined,
  reference: Reference | undefined,
  resourceType: T['resourceType'],
): T | undefined {
  const target = reference?.reference;
  if (typeof target !== 'string' || target === '') {
    return undefined;
  }
  const list = Array.isArray(bundle?.entry) ? bundle.entry : [];
  for (const entry of list) {
    const resource = entry?.resource;
    if (resource?.resourceType !== resourceType) {
      continue;
    }
    const relative = `${resource.resourceType}/${resource.id ?? ''}`;
    // A relative reference also resolves against an absolute fullUrl ending with the same Type/id.
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : '';
    if (fullUrl === target || target === relative || fullUrl.endsWith(`/${target}`)) {
      return resource as T;
    }
  }
  return undefined;
}

function matching(identifiers: unknown, system: string): MemberIdentifier | undefined {
  const list: unknown[] = Array.isArray(identifiers) ? identifiers : [identifiers];
  const found = list.find(
    (i): i is MemberIdentifier =>
      typeof i === 'object' && i !== null && (i as Identifier).system === system && typeof (i as Identifier).value === 'string',
  );
  return found ? { system, value: found.value } : undefined;
}

function fromCoverage(bundle: Bundle | undefined, ref: Reference | undefined, system: string): MemberIdentifier | undefined {
  const coverage = resolveReference<Coverage>(bundle, ref, 'Coverage');
  const subscriber = typeof coverage?.subscriberId === 'string' ? { system, value: coverage.subscriberId } : undefined;
  return matching(ref?.identifier, system) ?? matching(coverage?.identifier, system) ?? subscriber;
}

function fromPatient(bundle: Bundle | undefined, ref: Reference | undefined, system: string): MemberIdentifier | undefined {
  const patient = resolveReference<Patient>(bundle, ref, 'Patient');
  return matching(ref?.identifier, system) ?? matching(patient?.identifier, system);
}

/**
 * Finds the member number (an identifier in the insurer's member system). Looked up, in order, on the
 * Coverage reference (its own identifier, then the Coverage's identifier[], then its subscriberId),
 * then on the Patient reference (its own identifier, then the Patient's identifier[]).
 * A reference's own `identifier` lets a request without a Bundle name the member directly.
 */
export function findMemberIdentifier(
  bundle: Bundle | undefined,
  refs: { coverage?: Reference; patient?: Reference },
  system: string,
): MemberIdentifier | undefined {
  return fromCoverage(bundle, refs.coverage, system) ?? fromPatient(bundle, refs.patient, system);
}

