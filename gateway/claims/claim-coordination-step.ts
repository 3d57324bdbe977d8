/**
 * What a coordinated claim's final answer moves on (coordination of benefits, claim-coordination.ts):
 * after a complete or partial answer, the follow-on claim for the next payer; and, whenever the
 * coordination moves (the claim went on, or it ended), the split on the provider's original claim. The
 * repository writes both in the answer's transaction. A refusal (outcome error) ends the coordination:
 * the payers after it are not asked, and the patient's share covers the rest.
 */
import { randomUUID } from 'node:crypto';
import type { Claim, ClaimResponse } from '@medplum/fhirtypes';
import type { Logger } from '../logger.js';
import { translatedElement } from '../fhir/outcomes.js';
import type { Participant, ParticipantRegistry } from '../participants/registry.js';
import { callbackJob, deliveryJob } from '../../workers/jobs.js';
import type { ClaimRecord, ClaimRepository, CoordinatedClaim, CoordinationStep } from './claim-repository.js';
import { FOLLOW_ON_IDENTIFIER_SYSTEM, followOnBundle, isCoordinated, nextPayerEntry, patientOf, payerName, payerOrder } from './claim-coordination.js';
import { splitResponse, type PayerShare } from './claim-coordination-split.js';
import type { ClaimStatus } from './claim-status.js';
import { queuedResponse } from './gateway-responses.js';

export interface CoordinationDeps {
  readonly claims: ClaimRepository;
  readonly registry: ParticipantRegistry;
  readonly logger: Logger;
}

const FINAL: ReadonlySet<ClaimStatus> = new Set(['complete', 'partial', 'error']);

/**
 * The step a claim's answer leads to, or undefined when the claim is not coordinated, the answer is not
 * final (queued), or the focal insurer refused the claim (nothing was split: the provider reads why).
 */
export async function coordinationStep(
  deps: CoordinationDeps, claim: ClaimRecord, answer: ClaimResponse & { id: string }, status: ClaimStatus, provider: Participant | undefined,
): Promise<CoordinationStep | undefined> {
  if (!FINAL.has(status) || !claim.bundle) return undefined;
  const first = claim.bundle.entry![0]!.resource as Claim;
  if (!claim.coordinationRoot && !isCoordinated(first)) return undefined;
  const rootId = claim.coordinationRoot ?? claim.id;
  const root = claim.coordinationRoot ? await deps.claims.get(rootId) : claim;
  if (!root?.bundle) return undefined; // purged: nothing left to split
  const followOn = status === 'error' ? undefined : await followOnClaim(deps, claim, rootId, answer);
  if (!followOn && !claim.coordinationRoot && status === 'error') return undefined;
  const shares = await payerShares(deps, root, await deps.claims.coordination(rootId), { claimId: claim.id, answer }, followOn);
  return { ...(followOn ? { followOn } : {}), split: splitOn(root, shares, provider) };
}

/** The split written on the original claim (its bundle still there), pushed to a provider that has a callback. */
function splitOn(root: ClaimRecord, shares: readonly PayerShare[], provider: Participant | undefined): NonNullable<CoordinationStep['split']> {
  const id = randomUUID();
  const response = splitResponse(id, {
    id: root.id, claim: root.bundle!.entry![0]!.resource as Claim, providerId: root.providerId, insurerId: root.insurerId, patient: patientOf(root.bundle!),
  }, shares);
  return { claimId: root.id, response, jobs: provider?.callbackUrl ? [callbackJob(id)] : [] };
}

/**
 * The split a follow-on claim's cancellation leads to, written with the cancellation: that payer pays
 * nothing, the payers after it are not asked, and the rest is the patient's. Undefined for a claim that
 * is not a follow-on (an original cancelled before its first payer answered has nothing to split).
 */
export async function cancellationSplit(deps: CoordinationDeps, claim: ClaimRecord, provider: Participant | undefined): Promise<CoordinationStep['split']> {
  if (!claim.coordinationRoot) return undefined;
  const root = await deps.claims.get(claim.coordinationRoot);
  if (!root?.bundle) return undefined;
  return splitOn(root, await payerShares(deps, root, await deps.claims.coordination(root.id), { claimId: claim.id, cancelled: true }, undefined), provider);
}

/** The follow-on claim for the next payer, carrying this answer; undefined at the end of the coordination. */
async function followOnClaim(deps: CoordinationDeps, claim: ClaimRecord, rootId: string, answer: ClaimResponse & { id: string }): Promise<CoordinationStep['followOn']> {
  const next = nextPayerEntry(claim.bundle!);
  if (!next) return undefined;
  const { participant, name } = await payerName(deps.registry, next.insurerId);
  if (!participant) {
    deps.logger.warn({ claimId: claim.id, insurer: next.insurerId }, 'next payer no longer registered: the coordination of benefits ends here');
    return undefined;
  }
  const id = randomUUID();
  const bundle = followOnBundle(claim.bundle!, id, next, answer);
  const accepted = queuedResponse(randomUUID(), bundle.entry![0]!.resource as Claim, {
    providerId: claim.providerId, insurerId: participant.id, insurerName: name, patientIdentifier: patientOf(bundle).identifier,
  });
  const previous = (await payerName(deps.registry, claim.insurerId)).name;
  return {
    id, providerId: claim.providerId, insurerId: participant.id, identifier: { system: FOLLOW_ON_IDENTIFIER_SYSTEM, value: id }, bundle,
    acceptedResponse: {
      ...accepted,
      ...translatedElement('disposition', {
        en: `Sent on by the gateway to ${name}, the next payer, with ${previous}'s adjudication (coordination of benefits of Claim/${rootId})`,
        fr: `Transmise par la passerelle à ${name}, payeur suivant, avec la décision de ${previous} (coordination des prestations de Claim/${rootId})`,
      }),
    },
    warnings: [], jobs: [deliveryJob(id, participant.id)], coordination: { root: rootId, follows: claim.id },
  };
}

/** Every payer of the original claim in payer order, with the claim sent to it and its final answer so far. */
async function payerShares(
  deps: CoordinationDeps, root: ClaimRecord, chain: readonly CoordinatedClaim[],
  current: { claimId: string; answer?: ClaimResponse & { id: string }; cancelled?: boolean }, followOn: CoordinationStep['followOn'],
): Promise<PayerShare[]> {
  const byInsurer = new Map(chain.map((c) => [c.claim.insurerId, c]));
  return Promise.all(payerOrder(root.bundle!, root.insurerId).map(async ({ sequence, insurerId }) => {
    const sent = byInsurer.get(insurerId);
    const claimId = sent?.claim.id ?? (followOn?.insurerId === insurerId ? followOn.id : undefined);
    const answer = claimId === current.claimId ? current.answer : sent?.answer;
    // A claim cancelled before it was answered (this cancellation, or an earlier one).
    const cancelled = !answer && (claimId === current.claimId ? current.cancelled === true : sent?.claim.status === 'cancelled');
    return {
      sequence, insurerId, insurerName: (await payerName(deps.registry, insurerId)).name,
      ...(claimId ? { claimId } : {}), ...(answer ? { answer } : {}), ...(cancelled ? { cancelled } : {}),
    };
  }));
}
