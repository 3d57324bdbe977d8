/**
 * Decides whether a submitted claim Bundle can be accepted: its shape (a collection whose first entry is
 * the Claim), the validator list, and the parties it names: Claim.patient and Claim.insurance.coverage
 * inside the bundle; Claim.provider (the caller) and Claim.insurer (a registered insurer) inside the
 * bundle or by participant identifier. Every problem is reported at once, with its FHIRPath.
 */
import type { Bundle, Claim, Identifier, OperationOutcomeIssue, Reference } from '@medplum/fhirtypes';
import { BundleIndex } from '../fhir/bundle-index.js';
import { gatewayError, invalid, issue } from '../fhir/outcomes.js';
import { PARTICIPANT_SYSTEM, type Participant, type ParticipantRegistry } from '../participants/registry.js';
import type { Caller } from '../auth/tokens.js';
import { hasErrors, runValidators, type ResourceValidator } from '../validation/validators.js';
import type { PackVersion } from '../validation/packs.js';
import type { Language } from '../validation/rules.js';

const CLAIM = 'Bundle.entry[0].resource';

/** A claim bundle that passed every check, with what routing needs. */
export interface AcceptableClaim {
  readonly bundle: Bundle;
  readonly claim: Claim;
  readonly identifier: { readonly system: string; readonly value: string };
  readonly provider: Participant;
  readonly insurer: Participant;
  /** Warnings travel with the accepted claim. */
  readonly warnings: OperationOutcomeIssue[];
  /** The bundle's references, resolved once for every later check. */
  readonly index: BundleIndex;
}

/** Context of one submission. */
export interface ClaimCheckContext {
  readonly caller: Caller;
  readonly registry: ParticipantRegistry;
  readonly validators: readonly ResourceValidator[];
  /** The most entries the caller's bundle may hold. */
  readonly maxEntries: number;
  /** The language of the messages. */
  readonly language: Language;
  /** The profile pack versions in force for a claim to this insurer (the base pack when it is unknown). */
  readonly packsFor: (insurer: Participant | undefined) => readonly PackVersion[];
}

/** Checks a parsed body; throws a 422 OperationOutcomeError listing every issue when it is not acceptable. */
export async function checkClaimBundle(body: Record<string, unknown>, ctx: ClaimCheckContext): Promise<AcceptableClaim> {
  checkShape(body, ctx.maxEntries);
  const bundle = body as unknown as Bundle;
  const claim = bundle.entry![0]!.resource as Claim;
  const addressed = await addressedInsurer(claim.insurer, bundle, ctx.registry);
  const issues = await runValidators(ctx.validators, { resource: body, expression: 'Bundle', language: ctx.language, packs: ctx.packsFor(addressed), insurerId: addressed?.id });
  // Nothing below may read an element the validators have not vouched for.
  if (hasErrors(issues)) throw invalid(issues);
  const index = new BundleIndex(bundle.entry ?? []);
  issues.push(...checkInsideReferences(claim, index));
  // The base pack requires Claim.identifier with system and value (duplicates are recognised by it):
  // a claim without one here means the pack was not applied, a crash (500), never an accepted claim.
  const identifier = claimIdentifier(claim);
  if (!identifier) throw new Error('Claim.identifier passed validation without system and value: is the base pack loaded?');
  const provider = await resolveParty(claim.provider, 'provider', index, ctx, issues);
  const insurer = await resolveParty(claim.insurer, 'insurer', index, ctx, issues);
  if (hasErrors(issues) || !provider || !insurer) {
    throw invalid(hasErrors(issues) ? issues : [...issues, issue({ error: 'validation', message: { en: 'The claim could not be read', fr: "La demande de remboursement n'a pas pu être lue" }, expression: CLAIM })]);
  }
  return { bundle, claim, identifier, provider, insurer, warnings: issues, index };
}

/** Throws unless the body is a collection Bundle led by a resource of this type, within the entry limit. */
export function checkShape(body: Record<string, unknown>, maxEntries: number, first = 'Claim'): void {
  if (body.resourceType !== 'Bundle') {
    throw gatewayError('resource-type', { en: `Expected a Bundle (type collection) whose first entry is the ${first}, got ${describe(body.resourceType)}`, fr: `Un Bundle (de type collection) dont la première entrée est la ressource ${first} est attendu ; reçu : ${describe(body.resourceType, 'fr')}` }, 'Bundle.resourceType');
  }
  if (body.type !== 'collection') {
    throw gatewayError('bundle-type', { en: `Bundle.type must be "collection", got ${describe(body.type)}`, fr: `Bundle.type doit valoir "collection" ; reçu : ${describe(body.type, 'fr')}` }, 'Bundle.type');
  }
  const entry = Array.isArray(body.entry) ? (body.entry[0] as { resource?: { resourceType?: unknown } } | null | undefined) : undefined;
  if (entry?.resource?.resourceType !== first) {
    throw gatewayError('bundle-first-entry', { en: `The first entry must be the ${first}, got ${describe(entry?.resource?.resourceType)}`, fr: `La première entrée doit être la ressource ${first} ; reçu : ${describe(entry?.resource?.resourceType, 'fr')}` }, 'Bundle.entry[0].resource');
  }
  if ((body.entry as unknown[]).length > maxEntries) {
    throw gatewayError('bundle-too-many-entries', { en: `The bundle holds ${(body.entry as unknown[]).length} entries; this participant may send at most ${maxEntries}`, fr: `Le bundle contient ${(body.entry as unknown[]).length} entrées ; ce participant peut en envoyer au plus ${maxEntries}` }, 'Bundle.entry');
  }
}

/** A value quoted for a message: a string (cut at 64 characters), else its type. */
export function describe(value: unknown, language: Language = 'en'): string {
  return typeof value === 'string' ? `"${value.slice(0, 64)}"` : value === undefined ? (language === 'fr' ? 'rien' : 'nothing') : typeof value;
}

function claimIdentifier(claim: Claim): AcceptableClaim['identifier'] | undefined {
  const id = claim.identifier?.find((i) => typeof i.system === 'string' && i.system && typeof i.value === 'string' && i.value);
  return id ? { system: id.system!, value: id.value! } : undefined;
}

function checkInsideReferences(claim: Claim, index: BundleIndex): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const must = (ref: Reference | undefined, type: string, expression: string) => {
    if (ref && !index.resolve(ref, type)) {
      issues.push(issue({ error: 'reference-unresolved', expression,
        message: { en: `${expression.replace(CLAIM, 'Claim')} must reference a ${type} included in the bundle (by fullUrl or ${type}/id)`, fr: `${expression.replace(CLAIM, 'Claim')} doit référencer une ressource ${type} incluse dans le bundle (par fullUrl ou ${type}/id)` } }));
    }
  };
  must(claim.patient, 'Patient', `${CLAIM}.patient`);
  (claim.insurance ?? []).forEach((ins, i) => must(ins.coverage, 'Coverage', `${CLAIM}.insurance[${i}].coverage`));
  return issues;
}

/**
 * The participant a provider or insurer reference names, checked against the caller and the registry
 * (of a Claim, or of another request such as a CoverageEligibilityRequest at root).
 */
export async function resolveParty(
  ref: Reference | undefined, role: 'provider' | 'insurer', index: BundleIndex, ctx: Pick<ClaimCheckContext, 'caller' | 'registry'>, issues: OperationOutcomeIssue[],
  at: { readonly root: string; readonly type: string } = { root: CLAIM, type: 'Claim' },
): Promise<Participant | undefined> {
  if (!ref) return undefined; // the schema already reported the missing element
  const expression = `${at.root}.${role}`;
  const id = participantIdOf(ref, index);
  if (!id) {
    issues.push(issue({ error: 'reference-unresolved', expression,
      message: { en: `${at.type}.${role} must be an Organization in the bundle or an identifier, with an identifier of system ${PARTICIPANT_SYSTEM}`, fr: `${at.type}.${role} doit être une Organization du bundle ou un identifiant, avec un identifiant du système ${PARTICIPANT_SYSTEM}` } }));
    return undefined;
  }
  const participant = await ctx.registry.get(id);
  if (role === 'provider' && id !== ctx.caller.participantId) {
    issues.push(issue({ error: 'provider-not-caller', expression,
      message: { en: `${at.type}.provider must be the submitting participant (${ctx.caller.participantId}), not "${id}"`, fr: `${at.type}.provider doit être le participant qui soumet la demande (${ctx.caller.participantId}), et non "${id}"` } }));
    return undefined;
  }
  if (!participant || participant.kind !== role || participant.status !== 'active') {
    issues.push(issue({ error: role === 'insurer' ? 'insurer-unknown' : 'provider-not-caller', expression,
      message: { en: `"${id}" is not an active ${role} registered on this gateway`, fr: `"${id}" n'est pas ${role === 'insurer' ? 'un assureur actif' : 'un prestataire de soins actif'} enregistré sur cette passerelle` } }));
    return undefined;
  }
  return participant;
}

/** The insurer a not yet validated request names (its insurer element), when it is a registered insurer (to choose its packs). */
export async function addressedInsurer(insurer: unknown, bundle: Bundle, registry: ParticipantRegistry): Promise<Participant | undefined> {
  const ref = insurer;
  if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) return undefined;
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const id = participantIdOf(ref as Reference, new BundleIndex(entries));
  const participant = id ? await registry.get(id) : undefined;
  return participant?.kind === 'insurer' ? participant : undefined;
}

/** The participant id: from the reference's identifier, the Organization it points at, or Organization/{id}. */
export function participantIdOf(ref: Reference, index: BundleIndex): string | undefined {
  const fromIdentifier = (identifiers: Identifier[] | undefined) => !Array.isArray(identifiers) ? undefined :
    identifiers.find((i) => i.system === PARTICIPANT_SYSTEM && typeof i.value === 'string' && i.value)?.value;
  const direct = fromIdentifier(ref.identifier ? [ref.identifier] : undefined);
  if (direct) return direct;
  const entry = index.resolve(ref, 'Organization');
  if (entry) return fromIdentifier(entry.resource.identifier as Identifier[] | undefined);
  const literal = typeof ref.reference === 'string' ? /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(ref.reference) : null;
  return literal?.[1];
}
