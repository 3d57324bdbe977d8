/**
 * The gateway's CapabilityStatement (GET /fhir/metadata), derived from the routes the OpenAPI description lists
 * (itself checked against the app by a test) and from the published packs, so it cannot drift from
 * what the gateway really does. Its texts (description, security, and each interaction's and operation's
 * documentation, the OpenAPI summary of its route) are in the reader's language, the other language in
 * the FHIR translation extension of the element (translatedElement).
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { describedRoutes } from '../api-docs/openapi.js';
import { translatedElement, type Bilingual } from '../fhir/outcomes.js';
import type { PackCatalogue } from './packs.js';
import type { Language } from './rules.js';

const STARTED = new Date().toISOString();

const OPERATIONS: Readonly<Record<string, string>> = {
  submit: 'http://hl7.org/fhir/OperationDefinition/Claim-submit',
  validate: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
};

/** The CapabilityStatement's own texts. */
const TEXTS = {
  description: {
    en: 'The FHIR R4 API of Passerelle, the claims gateway between care providers and insurers: claims and their answers, eligibility, the exchanges that follow a claim (information requests, messages, payments), and validation against FHIR R4 and the published packs.',
    fr: "L'API FHIR R4 de Passerelle, la passerelle de demandes de remboursement entre prestataires de soins et assureurs : demandes de remboursement et leurs réponses, éligibilité (prise en charge), échanges qui suivent une demande (demandes d'informations, messages, paiements), et validation selon FHIR R4 et les packs publiés.",
  },
  implementation: { en: 'Passerelle FHIR R4 claims gateway', fr: 'Passerelle, passerelle FHIR R4 de demandes de remboursement' },
  rest: {
    en: 'Claims (Claim/$submit) and their answers; $validate against FHIR R4 and the published packs (docs/profiles.md). Texts in English or French: Accept-Language, or ?lang=en|fr.',
    fr: 'Demandes de remboursement (Claim/$submit) et leurs réponses ; $validate selon FHIR R4 et les packs publiés (docs/profiles.md). Textes en français ou en anglais : Accept-Language, ou ?lang=fr|en.',
  },
  security: {
    en: 'SMART Backend Services: a bearer token from POST /auth/token (private_key_jwt); see /.well-known/smart-configuration',
    fr: "SMART Backend Services : un jeton d'accès (bearer) obtenu par POST /auth/token (private_key_jwt) ; voir /.well-known/smart-configuration",
  },
} as const satisfies Record<string, Bilingual>;

/** The gateway's CapabilityStatement, its texts in the given language (the other one in their translation extension). */
export function capabilityStatement(catalogue: PackCatalogue, baseUrl: string, language: Language = 'en'): CapabilityStatement {
  const text = <K extends string>(name: K, message: Bilingual) => translatedElement(name, message, language);
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
    const documentation = text('documentation', operation.summary);
    if (systemOp) {
      if (!systemOperations.some((o) => o.name === systemOp[1])) {
        systemOperations.push({ name: systemOp[1]!, definition: OPERATIONS[systemOp[1]!] ?? `${baseUrl}/OperationDefinition/${systemOp[1]!}`, ...documentation });
      }
      continue;
    }
    if (!match || match[1] === 'metadata') continue;
    const r = resource(match[1]!);
    if (match[3]) {
      r.operation = [...(r.operation ?? []), { name: match[3], definition: OPERATIONS[match[3]] ?? `${baseUrl}/OperationDefinition/${match[3]}`, ...documentation }];
    } else if (method === 'get' && match[2]) {
      r.interaction!.push({ code: 'read', ...documentation });
    } else if (method === 'get') {
      r.interaction!.push({ code: 'search-type', ...documentation });
      r.searchParam = (operation.query ?? []).filter((q) => !q.startsWith('_')).map((name) => ({ name, type: name === 'date' ? 'date' : name === 'url' ? 'uri' : 'token' }));
    } else if (method === 'post') {
      r.interaction!.push({ code: 'create', ...documentation });
    }
  }
  return {
    resourceType: 'CapabilityStatement',
    language,
    status: 'active',
    date: STARTED,
    publisher: 'Passerelle',
    ...text('description', TEXTS.description),
    kind: 'instance',
    software: { name: 'Passerelle', version: '0.1.0' },
    implementation: { ...text('description', TEXTS.implementation), url: `${baseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [{
      mode: 'server',
      ...text('documentation', TEXTS.rest),
      security: {
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        ...text('description', TEXTS.security),
        extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'token', valueUri: `${baseUrl}/auth/token` }] }],
      },
      resource: [...resources.values()].sort((a, b) => a.type.localeCompare(b.type)),
      operation: systemOperations,
    }],
  };
}
