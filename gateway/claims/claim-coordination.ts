/**
 * Coordination of benefits: a claim with several Claim.insurance entries, each a Coverage whose payor is
 * a registered insurer, goes to the focal insurer first (the entry marked focal, else sequence 1). Once
 * that insurer has adjudicated it, the gateway sends it on to the next payer (the other entries by
 * sequence) as a follow-on claim: the same claim, the adjudicated entry carrying its ClaimResponse in
 * Claim.insurance.claimResponse (the ClaimResponse included in the bundle) and the next payer's entry
 * focal. Only claims (use "claim") are coordinated: a preauthorization or predetermination goes to its
 * focal insurer alone. The split the provider sees is built in claim-coordination-split.ts.
 */
import type { Bundle, Claim, ClaimInsurance, ClaimResponse, Coverage, OperationOutcomeIssue, Reference } from '@medplum/fhirtypes';
import { BundleIndex } from '../fhir/bundle-index.js';
import { issue, type Bilingual } from '../fhir/outcomes.js';
import { PARTICIPANT_SYSTEM, type Participant, type ParticipantRegistry } from '../participants/registry.js';
import { participantIdOf, type AcceptableClaim } from './claim-bundle.js';

const CLAIM = 'Bundle.entry[0].resource';

/** Identifier system of the follow-on claims' rows: never one a provider uses, so never a duplicate of its claims. */
export const FOLLOW_ON_IDENTIFIER_SYSTEM = 'https://fhir.passerelle.sn/NamingSystem/coordination-follow-on';

/** Whether the gateway coordinates this claim between several payers. */
export function isCoordinated(claim: Claim): boolean {
  return (claim.use ?? 'claim') === 'claim' && (claim.insurance?.length ?? 0) > 1;
}

/** Index of the focal insurance entry: the one marked focal, else the one of sequence 1, else the first. */
export function focalIndex(insurance: readonly ClaimInsurance[]): number {
  const marked = insurance.findIndex((entry) => entry.focal === true);
  if (marked >= 0) return marked;
  return Math.max(0, insurance.findIndex((entry) => entry.sequence === 1));
}

/** The participant id of an insurance entry's payor (the first payor of its Coverage naming a participant). */
function payorIdOf(entry: ClaimInsurance, index: BundleIndex): string | undefined {
  const coverage = index.resolve(entry.coverage, 'Coverage')?.resource as Coverage | undefined;
  for (const payor of coverage?.payor ?? []) {
    const id = participantIdOf(payor as Reference, index);
    if (id) return id;
  }
  return undefined;
}

/**
 * The issues of a coordinated claim's payers (none for a claim with one insurance entry): every entry
 * but the focal one names a registered, active insurer as its Coverage's payor; no insurer twice; no
 * claimResponse given by the provider (the gateway fills it in). That exactly one entry is focal and
 * its Coverage's payor is the claim's insurer, the base pack checks already (pas-claim-focal,
 * pas-bundle-payor).
 */
export async function coordinationIssues(accepted: AcceptableClaim, registry: ParticipantRegistry): Promise<OperationOutcomeIssue[]> {
  const insurance = accepted.claim.insurance ?? [];
  if (!isCoordinated(accepted.claim)) return [];
  const issues: OperationOutcomeIssue[] = [];
  const refuse = (expression: string, message: Bilingual, type?: OperationOutcomeIssue['code']) =>
    issues.push(issue({ error: 'coordination-invalid', expression, message, type }));
  const first = focalIndex(insurance);
  const seen = new Map<string, number>();
  for (const [i, entry] of insurance.entries()) {
    const expression = `${CLAIM}.insurance[${i}]`;
    if (entry.claimResponse) refuse(`${expression}.claimResponse`, {
      en: 'The gateway sends the claim to each payer in turn and gives the next one the earlier adjudication itself: submit the claim without claimResponse',
      fr: "La passerelle envoie la demande à chaque payeur tour à tour et transmet elle-même au suivant la décision du précédent : soumettez la demande sans claimResponse",
    });
    let payer = accepted.insurer.id; // the focal entry's, whose Coverage may name no participant
    if (i !== first) {
      const payorId = payorIdOf(entry, accepted.index);
      const participant = payorId ? await registry.get(payorId) : undefined;
      if (!participant || participant.kind !== 'insurer' || participant.status !== 'active') {
        refuse(`${expression}.coverage`, {
          en: `The Coverage's payor ${payorId ? `"${payorId}" ` : ''}is not an active insurer registered on this gateway: with several insurance entries the claim goes to each payer in turn, so each must be one (by an identifier of system ${PARTICIPANT_SYSTEM})`,
          fr: `Le payeur (payor) de la Coverage ${payorId ? `"${payorId}" ` : ''}n'est pas un assureur actif enregistré sur cette passerelle : avec plusieurs entrées insurance, la demande va à chaque payeur tour à tour, chacun doit donc en être un (par un identifiant du système ${PARTICIPANT_SYSTEM})`,
        }, 'not-found');
        continue;
      }
      payer = participant.id;
    }
    const earlier = seen.get(payer);
    if (earlier !== undefined) refuse(expression, {
      en: `The insurer ${payer} is named twice (insurance[${earlier}] and insurance[${i}]): each payer adjudicates the claim once`,
      fr: `L'assureur ${payer} est cité deux fois (insurance[${earlier}] et insurance[${i}]) : chaque payeur ne statue qu'une fois sur la demande`,
    });
    else seen.set(payer, i);
  }
  return issues;
}

/** The next payer of a claim, from its bundle: the first entry by sequence that is not focal and not adjudicated yet. */
export function nextPayerEntry(bundle: Bundle): { index: number; insurerId: string } | undefined {
  const claim = bundle.entry?.[0]?.resource as Claim | undefined;
  if (!claim || !isCoordinated(claim)) return undefined;
  const insurance = claim.insurance!;
  const focal = focalIndex(insurance);
  const waiting = [...insurance.entries()]
    .filter(([i, entry]) => i !== focal && !entry.claimResponse)
    .sort(([a, x], [b, y]) => (x.sequence ?? 0) - (y.sequence ?? 0) || a - b);
  const next = waiting[0];
  if (!next) return undefined;
  const insurerId = payorIdOf(next[1], new BundleIndex(bundle.entry ?? []));
  return insurerId ? { index: next[0], insurerId } : undefined;
}

/** The payers of the provider's original claim in the order they adjudicate (its insurer first), with their Claim.insurance sequence. */
export function payerOrder(bundle: Bundle, insurerId: string): Array<{ sequence: number; insurerId: string }> {
  const claim = bundle.entry?.[0]?.resource as Claim;
  const insurance = claim.insurance ?? [];
  const index = new BundleIndex(bundle.entry ?? []);
  const focal = focalIndex(insurance);
  const rest = [...insurance.entries()].filter(([i]) => i !== focal).sort(([a, x], [b, y]) => (x.sequence ?? 0) - (y.sequence ?? 0) || a - b);
  return [
    { sequence: insurance[focal]?.sequence ?? 1, insurerId },
    ...rest.flatMap(([, entry]) => {
      const payer = payorIdOf(entry, index);
      return payer ? [{ sequence: entry.sequence ?? 0, insurerId: payer }] : [];
    }),
  ];
}

/**
 * The bundle a follow-on claim is sent with: the claim (new id, insurer the next payer), the entry its
 * insurer just adjudicated no longer focal and carrying that ClaimResponse (included in the bundle,
 * fullUrl urn:uuid:{its id}), the next payer's entry focal, everything else as the provider sent it.
 */
export function followOnBundle(bundle: Bundle, followOnId: string, next: { index: number; insurerId: string }, answered: ClaimResponse & { id: string }): Bundle {
  const [first, ...rest] = bundle.entry ?? [];
  const claim = first!.resource as Claim;
  const focal = focalIndex(claim.insurance ?? []);
  const answeredUrl = `urn:uuid:${answered.id}`;
  const insurance = (claim.insurance ?? []).map((entry, i): ClaimInsurance => (
    i === focal ? { ...entry, focal: false, claimResponse: { reference: answeredUrl } } : { ...entry, focal: i === next.index }));
  const followOn: Claim = { ...claim, id: followOnId, insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: next.insurerId } }, insurance };
  // Another bundle than the provider's: its id and identifier are not carried over.
  const { id: _id, identifier: _identifier, ...envelope } = bundle;
  return { ...envelope, entry: [{ ...first, resource: followOn }, ...rest, { fullUrl: answeredUrl, resource: answered }] };
}

/** The patient of a claim bundle as the gateway names it in its own answers: by identifier when it has one. */
export function patientOf(bundle: Bundle): ClaimResponse['patient'] {
  const claim = bundle.entry?.[0]?.resource as Claim;
  const patient = new BundleIndex(bundle.entry ?? []).resolve(claim.patient, 'Patient')?.resource as { identifier?: Array<NonNullable<Reference['identifier']>> } | undefined;
  const identifier = patient?.identifier?.[0];
  return identifier ? { identifier } : claim.patient;
}

/** A registered payer's name for messages (its id when it is no longer registered). */
export async function payerName(registry: ParticipantRegistry, insurerId: string): Promise<{ participant?: Participant; name: string }> {
  const participant = await registry.get(insurerId);
  return { participant, name: participant?.name ?? insurerId };
}
