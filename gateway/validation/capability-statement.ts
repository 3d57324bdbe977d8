/**
 * The CapabilityStatement (GET /fhir/metadata), derived from the routes the OpenAPI description lists
 * (itself checked against the app by a test) and from the published packs, so it cannot drift from
 * what the gateway really does.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { describedRoutes } from '../api-docs/openapi.js';
import type { PackCatalogue } from './packs.js';

const STARTED = new Date().toISOString();

const OPERATIONS: Readonly<Record<string, string>> = {
  submit: 'http://hl7.org/fhir/OperationDefinition/Claim-submit',
  validate: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
};

/** The gateway's CapabilityStatement. */
export function capabilityStatement(catalogue: PackCatalogue, baseUrl: string): CapabilityStatement {
  const resources = new Map<string, CapabilityStatementRestResource>();
  const resource = (type: string): CapabilityStatementRestResource => {
    const known = resources.get(type);
    if (known) return known;
    const profiles = catalogue.versions.flatMap((v) => catalogue.profilesOf(v, type));
    const created = { type: type as CapabilityStatementRestResource['type'], interaction: [], ...(profiles.length > 0 ? { supportedProfile: profiles } : {}) };
    resources.set(type, created);
    return created;
  };
  const systemOperations: NonNullable<NonNullable<CapabilityStatement['rest']>[number]['operation']> = [];
  for (const { path, method, operation } of describedRoutes()) {
    const match = /^\/fhir\/([A-Z][A-Za-z]+)(\/\{id\})?(?:\/\$([a-z-]+))?$/.exec(path);
    const systemOp = /^\/fhir(?:\/\{type\})?\/\$([a-z-]+)$/.exec(path);
    if (systemOp) {
      if (!systemOperations.some((o) => o.name === systemOp[1])) systemOperations.push({ name: systemOp[1]!, definition: OPERATIONS[systemOp[1]!] ?? `${baseUrl}/OperationDefinition/${systemOp[1]!}` });
      continue;
    }
    if (!match || match[1] === 'metadata') continue;
    const r = resource(match[1]!);
    if (match[3]) {
      r.operation = [...(r.operation ?? []), { name: match[3], definition: OPERATIONS[match[3]] ?? `${baseUrl}/OperationDefinition/${match[3]}` }];
    } else if (method === 'get' && match[2]) {
      r.interaction!.push({ code: 'read' });
    } else if (method === 'get') {
      r.interaction!.push({ code: 'search-type' });
      r.searchParam = (operation.query ?? []).filter((q) => !q.startsWith('_')).map((name) => ({ name, type: name === 'date' ? 'date' : name === 'url' ? 'uri' : 'token' }));
    } else if (method === 'post') {
      r.interaction!.push({ code: 'create' });
    }
  }
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: STARTED,
    publisher: 'Passerelle',
    kind: 'instance',
    software: { name: 'Passerelle', version: '0.1.0' },
    implementation: { description: 'Passerelle FHIR R4 claims gateway', url: `${baseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{
      mode: 'server',
      documentation: 'Claims (Claim/$submit) and their answers; $validate against FHIR R4 and the published packs (docs/profiles.md).',
      security: {
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        description: 'SMART Backend Services: a bearer token from POST /auth/token (private_key_jwt); see /.well-known/smart-configuration',
        extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'token', valueUri: `${baseUrl}/auth/token` }] }],
      },
      resource: [...resources.values()].sort((a, b) => a.type.localeCompare(b.type)),
      operation: systemOperations,
    }],
  };
}
