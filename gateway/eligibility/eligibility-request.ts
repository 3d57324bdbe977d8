/**
 * Reads an eligibility question from a provider: a CoverageEligibilityRequest, alone or first in a
 * collection Bundle with the Patient and Coverage it references. Checks its shape, runs the validators,
 * settles the parties (the caller is the provider; the insurer is registered and offers eligibility),
 * and finds the member number under the insurer's member system. Every problem is reported at once.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, CodeableConcept, CoverageEligibilityRequest, OperationOutcomeIssue, Reference } from '@medplum/fhirtypes';
import { BundleIndex } from '../fhir/bundle-index.js';
import { gatewayError, invalid, issue } from '../fhir/outcomes.js';
import type { Participant } from '../participants/registry.js';
import { hasErrors, runValidators } from '../validation/validators.js';
import { addressedInsurer, checkShape, describe, resolveParty, type ClaimCheckContext } from '../claims/claim-bundle.js';
import { identifierValue } from './fhir-coverage.js';
import type { EligibilitySettings } from './settings.js';

/** A member number under an insurer's member system. */
export interface MemberIdentifier {
  readonly system: string;
  readonly value: string;
}

/** An eligibility question the gateway can answer. */
export interface EligibilityQuestion {
  /** A collection Bundle led by the request (a request sent alone is wrapped). */
  readonly bundle: Bundle;
  readonly request: CoverageEligibilityRequest;
  readonly providerId: string;
  readonly insurer: Participant & { readonly eligibility: EligibilitySettings };
  readonly member: MemberIdentifier;
  /** The day coverage is asked about (YYYY-MM-DD): servicedDate, servicedPeriod.start, created, else today. */
  readonly date: string;
  /** The last day asked about, when the request gives a period. */
  readonly endDate?: string;
  readonly purposes: readonly string[];
  /** The item categories and services benefits are asked for. */
  readonly items: ReadonlyArray<{ readonly category?: CodeableConcept; readonly productOrService?: CodeableConcept }>;
  readonly warnings: readonly OperationOutcomeIssue[];
}

/** What reading a question needs: what checking a claim needs (caller, registry, validators…), and today's date. */
export interface EligibilityReadContext extends ClaimCheckContext {
  readonly today: () => string;
}

const ROOT = 'Bundle.entry[0].resource';
const TYPE = 'CoverageEligibilityRequest';

/** Reads and checks a question; throws a 4xx OperationOutcomeError listing every issue otherwise. */
export async function readEligibilityQuestion(body: Record<string, unknown>, ctx: EligibilityReadContext): Promise<EligibilityQuestion> {
  const { bundle, root, expression } = shapeOf(body, ctx.maxEntries);
  const request = bundle.entry![0]!.resource as CoverageEligibilityRequest;
  const index = new BundleIndex(bundle.entry ?? []);
  const addressed = await addressedInsurer(request.insurer, bundle, ctx.registry);
  const issues = await runValidators(ctx.validators, { resource: body, expression, language: ctx.language, packs: ctx.packsFor(addressed), insurerId: addressed?.id });
  if (hasErrors(issues)) throw invalid(issues);
  const at = { root, type: TYPE };
  await resolveParty(request.provider, 'provider', index, ctx, issues, at);
  const insurer = await resolveParty(request.insurer, 'insurer', index, ctx, issues, at);
  if (!request.insurer) issues.push(issue({ error: 'insurer-unknown', expression: `${root}.insurer`, message: { en: `${TYPE}.insurer must name the insurer asked (identifier of system urn:passerelle:participant)`, fr: `${TYPE}.insurer doit désigner l'assureur interrogé (identifiant du système urn:passerelle:participant)` } }));
  if (hasErrors(issues)) throw invalid(issues);
  if (!insurer?.eligibility) {
    throw gatewayError('eligibility-not-offered', { en: `${insurer?.name ?? 'This insurer'} does not offer eligibility checks through the gateway`, fr: `${insurer?.name ?? 'Cet assureur'} ne propose pas la vérification des droits par la passerelle` }, `${root}.insurer`);
  }
  const member = memberOf(partiesOf(request), index, insurer.eligibility.memberSystem);
  if (!member) {
    throw gatewayError('member-identifier-missing',
      { en: `The patient has no member number of ${insurer.name} (an identifier of system ${insurer.eligibility.memberSystem} on the Patient or the Coverage)`, fr: `Le patient n'a pas de numéro d'assuré de ${insurer.name} (un identifiant du système ${insurer.eligibility.memberSystem} sur le Patient ou la Coverage)` }, `${root}.patient`);
  }
  return { ...questionParts(request, ctx.today()), bundle, request, providerId: ctx.caller.participantId, insurer: insurer as EligibilityQuestion['insurer'], member, warnings: issues };
}

/**
 * The question again from a stored request (a queued one, answered by a worker): the parts that do
 * not depend on the caller, re-derived the same way.
 */
export function storedQuestion(bundle: Bundle, providerId: string, insurer: Participant & { eligibility: EligibilitySettings }, today: string): EligibilityQuestion {
  const request = bundle.entry![0]!.resource as CoverageEligibilityRequest;
  const member = memberOf(partiesOf(request), new BundleIndex(bundle.entry ?? []), insurer.eligibility.memberSystem);
  if (!member) throw new Error('a stored eligibility request without a member number');
  return { ...questionParts(request, today), bundle, request, providerId, insurer, member, warnings: [] };
}

function questionParts(request: CoverageEligibilityRequest, today: string) {
  const date = [request.servicedDate, request.servicedPeriod?.start, request.created].find((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}/.test(d));
  const end = request.servicedPeriod?.end;
  return {
    date: (date ?? today).slice(0, 10),
    endDate: typeof end === 'string' && /^\d{4}-\d{2}-\d{2}/.test(end) ? end.slice(0, 10) : undefined,
    purposes: request.purpose?.length ? request.purpose : ['validation'],
    items: (request.item ?? []).map((i) => ({ category: i.category, productOrService: i.productOrService })),
  };
}

/** The body as a collection Bundle led by the request, with the FHIRPath of the request and of the body. */
function shapeOf(body: Record<string, unknown>, maxEntries: number): { bundle: Bundle; root: string; expression: string } {
  if (body.resourceType === TYPE) {
    return { bundle: { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: `urn:uuid:${randomUUID()}`, resource: body as unknown as CoverageEligibilityRequest }] }, root: TYPE, expression: TYPE };
  }
  if (body.resourceType !== 'Bundle') {
    throw gatewayError('resource-type', { en: `Expected a ${TYPE}, or a collection Bundle whose first entry is one, got ${describe(body.resourceType)}`, fr: `Une ressource ${TYPE} est attendue, ou un Bundle de type collection dont la première entrée en est une ; reçu : ${describe(body.resourceType, 'fr')}` }, 'resourceType');
  }
  checkShape(body, maxEntries, TYPE);
  return { bundle: body as unknown as Bundle, root: ROOT, expression: 'Bundle' };
}

/** The Coverages and the Patient a request names, where its member number may be. */
function partiesOf(request: CoverageEligibilityRequest): MemberParties {
  return { coverages: (request.insurance ?? []).map((i) => i.coverage), patient: request.patient };
}

/** Where a member number may be: the Coverages named, then the Patient. */
export interface MemberParties {
  readonly coverages: ReadonlyArray<Reference | undefined>;
  readonly patient?: Reference;
}

/**
 * The member number: an identifier of the member system on a Coverage named (in the bundle, or the
 * reference's own identifier), else on the Patient.
 */
export function memberOf(parties: MemberParties, index: BundleIndex, system: string): MemberIdentifier | undefined {
  const pick = (identifiers: unknown): MemberIdentifier | undefined => {
    const value = identifierValue(Array.isArray(identifiers) ? identifiers : identifiers ? [identifiers] : undefined, system);
    return value ? { system, value } : undefined;
  };
  for (const reference of parties.coverages) {
    const found = pick(index.resolve(reference, 'Coverage')?.resource.identifier) ?? pick(reference?.identifier);
    if (found) return found;
  }
  return pick(index.resolve(parties.patient, 'Patient')?.resource.identifier) ?? pick(parties.patient?.identifier);
}
