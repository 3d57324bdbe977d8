// Identifiers and references as openIMIS builds them (BaseFHIRConverter, ReferenceConverterMixin):
// typed with the openimis-identifiers system, references by UUID carrying that UUID as identifier.
import { createHash } from 'node:crypto';
import type { Identifier, Reference, Resource } from '@medplum/fhirtypes';
import { IDENTIFIER_TYPE_SYSTEM } from './codes.js';

/** An identifier of an openIMIS identifier type (UUID, Code). */
export function typedIdentifier(type: 'UUID' | 'Code', value: string): Identifier {
  return { type: { coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: type }] }, value };
}

/** A reference by UUID, e.g. Patient/<uuid>, the way openIMIS answers them. */
export function uuidReference<T extends Resource>(resourceType: T['resourceType'], uuid: string): Reference<T> {
  return { reference: `${resourceType}/${uuid}`, type: resourceType, identifier: typedIdentifier('UUID', uuid) };
}

/** The RFC 4122 URL namespace, so anyone can recompute an insuree's UUID. */
const URL_NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/**
 * The insuree's UUID: a version 5 UUID of `urn:passerelle:<insurerId>:insuree:<chfId>` in the URL
 * namespace, the same on every run, so Patient references are stable.
 */
export function insureeUuid(insurerId: string, chfId: string): string {
  const hash = createHash('sha1').update(URL_NAMESPACE).update(`urn:passerelle:${insurerId}:insuree:${chfId}`).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
