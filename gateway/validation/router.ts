/**
 * FHIR routes of validation and conformance: $validate for integrators (authenticated), and the
 * published artefacts and CapabilityStatement (public, as FHIR servers publish them): GET
 * /fhir/metadata, and read and search by url and version of StructureDefinition, ValueSet and
 * CodeSystem.
 */
import express, { type Request, type Response } from 'express';
import type { Bundle, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { fhirRoute, FHIR_JSON_TYPE, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError, outcome } from '../fhir/outcomes.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { answeredIn, documentationLanguage } from '../api-docs/language.js';
import { capabilityStatement } from './capability-statement.js';
import type { Conformance } from './conformance.js';
import { compareVersions } from './engine/definitions.js';
import { VALIDATION_RULE_SYSTEM, type Language } from './rules.js';

export interface ValidationRoutesDeps {
  readonly conformance: Conformance;
  readonly registry: ParticipantRegistry;
  readonly idempotency: IdempotencyStore;
  readonly defaultLanguage: Language;
  readonly publicBaseUrl?: string;
  readonly body: express.RequestHandler[];
}

type Json = Record<string, unknown>;

/** The conformance resource types published here. */
export const PUBLISHED_TYPES = ['StructureDefinition', 'ValueSet', 'CodeSystem'] as const;

/** $validate, mounted after authentication. */
export function validateRouter(deps: ValidationRoutesDeps): express.Router {
  const router = express.Router();
  const validate = (req: FhirRequest, type?: string) => runValidate(req, deps, type);
  router.post('/fhir/$validate', deps.body, fhirRoute((req) => validate(req), {}, deps));
  router.post('/fhir/:type/$validate', deps.body, fhirRoute((req) => validate(req, req.params.type), {}, deps));
  return router;
}

/** The public conformance routes, mounted before authentication. */
export function conformanceRouter(deps: Pick<ValidationRoutesDeps, 'conformance' | 'publicBaseUrl'> & { readonly defaultLanguage?: Language }): express.Router {
  const router = express.Router();
  const base = (req: Request) => deps.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  // The CapabilityStatement's texts in the request's language (?lang=fr|en, else Accept-Language, else
  // DEFAULT_LANGUAGE), the other language in their translation extension.
  router.get('/fhir/metadata', (req, res) => {
    const language = documentationLanguage(req, deps.defaultLanguage ?? 'en');
    answeredIn(res, language);
    send(res, 200, capabilityStatement(deps.conformance.catalogue, base(req), language));
  });
  for (const type of PUBLISHED_TYPES) {
    router.get(`/fhir/${type}`, (req, res) => {
      const url = typeof req.query.url === 'string' ? req.query.url : undefined;
      const version = typeof req.query.version === 'string' ? req.query.version : undefined;
      const [canonical, pinned] = url?.split('|') ?? [];
      const found = deps.conformance.catalogue.resources(type)
        .filter((r) => !canonical || r.url === canonical)
        .filter((r) => !(version ?? pinned) || r.version === (version ?? pinned))
        .filter((r) => typeof req.query.name !== 'string' || r.name === req.query.name);
      send(res, 200, searchset(found, type, base(req)));
    });
    router.get(`/fhir/${type}/:id`, (req, res) => {
      const latest = deps.conformance.catalogue.resources(type).filter((r) => r.id === req.params.id)
        .sort((a, b) => compareVersions(String(b.version), String(a.version)))[0];
      if (!latest) throw gatewayError('not-found', { en: `${type}/${req.params.id} is not published here`, fr: `${type}/${req.params.id} n'est pas publié ici` });
      send(res, 200, latest);
    });
  }
  return router;
}

async function runValidate(req: FhirRequest, deps: ValidationRoutesDeps, urlType?: string) {
  const { language } = req;
  const { resource, profiles, insurer } = validateInput(req);
  if (urlType !== undefined && !deps.conformance.engine.knowsResourceType(urlType)) {
    throw gatewayError('not-found', { en: `${urlType} is not a FHIR R4 resource type`, fr: `${urlType} n'est pas un type de ressource FHIR R4` });
  }
  if (urlType !== undefined && resource.resourceType !== urlType) {
    throw gatewayError('resource-type', { en: `POST /fhir/${urlType}/$validate takes a ${urlType}, got ${typeof resource.resourceType === 'string' ? resource.resourceType : 'no resourceType'}`, fr: `POST /fhir/${urlType}/$validate attend une ressource ${urlType} ; reçu : ${typeof resource.resourceType === 'string' ? resource.resourceType : 'aucun resourceType'}` }, 'resourceType');
  }
  let schedule: Parameters<Conformance['packsInForce']>[0] = [];
  if (insurer !== undefined) {
    const participant = await deps.registry.get(insurer);
    if (!participant || participant.kind !== 'insurer') throw gatewayError('insurer-unknown', { en: `"${insurer}" is not an insurer registered on this gateway`, fr: `"${insurer}" n'est pas un assureur enregistré sur cette passerelle` }, 'insurer');
    schedule = participant.profilePacks;
  }
  const packs = deps.conformance.packsInForce(schedule);
  const issues = deps.conformance.validate(resource, { language, packs, profiles, insurerId: insurer });
  return { status: 200, resource: validationOutcome(issues, language, packs.map((p) => `${p.pack}@${p.version}`)) };
}

/** The resource and options of a $validate call: a resource, or Parameters (resource, profile); ?profile= and ?insurer= too. */
function validateInput(req: FhirRequest): { resource: Json; profiles: string[]; insurer?: string } {
  const body = req.body;
  const fromQuery = (name: string) => {
    const value = req.query[name];
    return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string' && v.length > 0);
  };
  const profiles = fromQuery('profile');
  let insurer = fromQuery('insurer')[0];
  if (body.resourceType !== 'Parameters' || !Array.isArray(body.parameter) || !body.parameter.some((p) => isObject(p) && p.name === 'resource')) {
    return { resource: body, profiles, insurer };
  }
  let resource: Json | undefined;
  for (const [i, p] of (body.parameter as unknown[]).entries()) {
    if (!isObject(p)) continue;
    if (p.name === 'resource' && isObject(p.resource)) resource = p.resource;
    else if (p.name === 'profile') {
      const value = p.valueUri ?? p.valueCanonical ?? p.valueString;
      if (typeof value !== 'string') throw gatewayError('resource-type', { en: 'The profile parameter needs a valueUri or valueCanonical', fr: 'Le paramètre profile exige une valueUri ou une valueCanonical' }, `Parameters.parameter[${i}]`);
      profiles.push(value);
    } else if (p.name === 'insurer' && typeof p.valueString === 'string') insurer = p.valueString;
  }
  if (!resource) throw gatewayError('resource-type', { en: 'The resource parameter must hold a resource', fr: 'Le paramètre resource doit contenir une ressource' }, 'Parameters.parameter');
  return { resource, profiles, insurer };
}

/** $validate's answer: every issue, or one information issue saying all is well (an OperationOutcome has at least one). */
export function validationOutcome(issues: OperationOutcomeIssue[], language: Language, packs: readonly string[]): OperationOutcome {
  if (issues.length > 0) return outcome(issues);
  const text = language === 'fr'
    ? `Aucun problème : la ressource est conforme à FHIR R4 et aux packs ${packs.join(', ')}`
    : `No issues: the resource conforms to FHIR R4 and to the packs ${packs.join(', ')}`;
  return outcome([{ severity: 'information', code: 'informational', details: { coding: [{ system: VALIDATION_RULE_SYSTEM, code: 'all-ok' }], text }, diagnostics: text }]);
}

function searchset(resources: Json[], type: string, base: string): Bundle {
  return {
    resourceType: 'Bundle', type: 'searchset', total: resources.length,
    entry: resources.map((r) => ({ fullUrl: `${base}/fhir/${type}/${String(r.id)}`, resource: r as never, search: { mode: 'match' } })),
  };
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type(FHIR_JSON_TYPE).send(JSON.stringify(body));
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
