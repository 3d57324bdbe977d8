/**
 * The claim pipeline's service layer, free of HTTP: accept a submission (check, store, queue), record an
 * insurer's answer (from the delivery worker or posted later by the insurer), and decide who may see a
 * claim. A participant that may not see a claim is told it does not exist.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Claim, ClaimResponse, OperationOutcomeIssue, Task } from '@medplum/fhirtypes';
import type { Caller } from '../auth/tokens.js';
import { gatewayError, invalid, notFound, type OperationOutcomeError } from '../fhir/outcomes.js';
import type { Logger } from '../logger.js';
import type { OutboxDispatcher } from '../queue/outbox.js';
import { PARTICIPANT_SYSTEM, type Participant, type ParticipantRegistry } from '../participants/registry.js';
import { hasErrors, type ResourceValidator } from '../validation/validators.js';
import type { PackVersion } from '../validation/packs.js';
import type { Language } from '../validation/rules.js';
import { callbackJob, deliveryJob } from '../../workers/jobs.js';
import { checkClaimBundle, type AcceptableClaim } from './claim-bundle.js';
import { ClaimRepository, DuplicateClaimError, type AnswerFacts, type ClaimRecord, type ResponseRecord } from './claim-repository.js';
import { claimPreAuthorisationIssues, preAuthorisationOf } from './claim-preauthorisation.js';
import { completedTask, type ClaimTaskRequest } from './claim-tasks.js';
import { claimCorrection } from './claim-corrections.js';
import {
  CANCELLABLE_HERE, COORDINATION_FOLLOW_ON_EXTENSION, COORDINATION_ORIGINAL_EXTENSION, PROCESSING_STATUS_EXTENSION, REPLACED_BY_EXTENSION, STUCK_SINCE_EXTENSION, statusForOutcome,
} from './claim-status.js';
import { coordinationIssues } from './claim-coordination.js';
import { cancellationSplit, coordinationStep } from './claim-coordination-step.js';
import { deliveryErrorResponse, queuedResponse } from './gateway-responses.js';

export interface ClaimServiceDeps {
  readonly claims: ClaimRepository;
  readonly registry: ParticipantRegistry;
  readonly validators: readonly ResourceValidator[];
  readonly outbox: OutboxDispatcher;
  readonly logger: Logger;
  /** The most entries a participant's bundle may hold (its limits, or the gateway's default). */
  readonly maxBundleEntries: (participantId: string) => Promise<number>;
  /** The profile pack versions in force for claims to an insurer (the base pack when it is unknown). */
  readonly packsFor: (insurer: Participant | undefined) => readonly PackVersion[];
  /** Eligibility of the claim's members (eligibility/claim-eligibility.ts): errors refuse the claim, warnings travel with it. */
  readonly checkEligibility?: (accepted: AcceptableClaim) => Promise<OperationOutcomeIssue[]>;
  /** Asks the claim's insurer for its answer now (its adapter's fetchClaimResponse), recording a new final one; false when it has none to give. */
  readonly askInsurer?: (claim: ClaimRecord) => Promise<boolean>;
  /** Asks the claim's insurer to cancel it (its adapter's cancelClaim); undefined when the insurer takes no cancellations. */
  readonly cancelAtInsurer?: (claim: ClaimRecord) => Promise<'cancelled' | 'too-late' | undefined>;
  /** What of the claim the insurer's format cannot carry (its adapter's checkClaim): errors refuse the claim. */
  readonly checkMapping?: (accepted: AcceptableClaim) => Promise<OperationOutcomeIssue[]>;
}

/** The answer to a submission. */
export interface SubmissionAnswer {
  readonly claimId: string;
  readonly claimResponse: ClaimResponse;
  readonly duplicate: boolean;
}

/** Accepts claims, records answers, and guards visibility. */
export class ClaimService {
  constructor(private readonly deps: ClaimServiceDeps) {}

  /** Checks and accepts a claim bundle; a claim already accepted from this provider gets its original answer. */
  async submit(body: Record<string, unknown>, caller: Caller, language: Language = 'en'): Promise<SubmissionAnswer> {
    const maxEntries = await this.deps.maxBundleEntries(caller.participantId);
    const accepted = await checkClaimBundle(body, {
      caller, registry: this.deps.registry, validators: this.deps.validators, maxEntries, language, packsFor: this.deps.packsFor,
    });
    // A claim already accepted under this identifier is found by the insert's unique key, not looked up
    // first (one statement less per new claim); a check that refuses it first looks for the original, so
    // a resent claim gets its original answer even when a check would now refuse it (coverage ended since).
    const refuse = async (issues: OperationOutcomeIssue[]) => (await this.original(accepted)) ?? Promise.reject(invalid([...accepted.warnings, ...issues]));
    // The checks on the gateway's own data, reported together; the eligibility check (it may ask the insurer) only after.
    const correction = await claimCorrection(accepted, this.deps.claims);
    const local = [...correction.issues, ...await claimPreAuthorisationIssues(accepted, this.deps.claims), ...await coordinationIssues(accepted, this.deps.registry),
      ...(this.deps.checkMapping ? await this.deps.checkMapping(accepted) : [])];
    if (hasErrors(local)) return refuse(local);
    const eligibility = this.deps.checkEligibility ? await this.deps.checkEligibility(accepted) : [];
    if (hasErrors(eligibility)) return refuse(eligibility);
    const warnings = [...accepted.warnings, ...eligibility];
    const claimId = randomUUID();
    const claim: Claim = { ...correction.claim, id: claimId };
    const bundle = { ...accepted.bundle, entry: [{ ...accepted.bundle.entry![0], resource: claim }, ...accepted.bundle.entry!.slice(1)] };
    const patient = accepted.bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource as { identifier?: ClaimResponse['patient']['identifier'][] } | undefined;
    const claimResponse = queuedResponse(randomUUID(), claim, {
      providerId: accepted.provider.id, insurerId: accepted.insurer.id, insurerName: accepted.insurer.name, patientIdentifier: patient?.identifier?.[0],
    }, warnings);
    const job = deliveryJob(claimId, accepted.insurer.id);
    try {
      await this.deps.claims.insert({
        id: claimId, providerId: accepted.provider.id, insurerId: accepted.insurer.id, identifier: accepted.identifier,
        bundle, acceptedResponse: claimResponse, warnings, jobs: [job], replaces: correction.original?.id,
      });
    } catch (err) {
      if (err instanceof DuplicateClaimError) return (await this.original(accepted))!;
      throw err;
    }
    this.deps.logger.info({ claimId, provider: accepted.provider.id, insurer: accepted.insurer.id }, 'claim accepted');
    this.deps.outbox.dispatchSoon([job]);
    return { claimId, claimResponse, duplicate: false };
  }

  private async original(accepted: AcceptableClaim): Promise<SubmissionAnswer | undefined> {
    const { system, value } = accepted.identifier;
    const claim = await this.deps.claims.findByIdentifier(accepted.provider.id, system, value);
    if (!claim) return undefined;
    const response = await this.deps.claims.response(claim.acceptedResponseId);
    if (!response?.resource) throw purged(claim);
    return { claimId: claim.id, claimResponse: response.resource, duplicate: true };
  }

  /**
   * Stores an insurer's ClaimResponse for this claim and queues its push to the provider. A coordinated
   * claim's final answer also moves the coordination of benefits on, in the same transaction: the
   * follow-on claim for the next payer and the split on the original claim (claim-coordination-step.ts).
   */
  async recordInsurerAnswer(claim: ClaimRecord, answer: ClaimResponse, insurerReference?: string): Promise<{ record: StoredResponse; created: boolean; cancelled?: boolean }> {
    const facts: AnswerFacts = { insurerReference, preAuthorisation: preAuthorisationOf(claim, answer) };
    const provider = await this.deps.registry.get(claim.providerId);
    const response: ClaimResponse & { id: string } = {
      ...answer,
      id: randomUUID(),
      request: { reference: `Claim/${claim.id}` },
      insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: claim.insurerId } },
      requestor: { identifier: { system: PARTICIPANT_SYSTEM, value: claim.providerId } },
    };
    const status = statusForOutcome(answer.outcome);
    const contentHash = createHash('sha256').update(JSON.stringify(answer)).digest('hex');
    const coordination = await coordinationStep(this.deps, claim, response, status, provider);
    const result = await this.deps.claims.recordInsurerResponse(claim.id, response, contentHash, status,
      (responseId) => (provider?.callbackUrl ? [callbackJob(responseId)] : []), { ...facts, coordination });
    if (result.created) {
      this.deps.logger.info({ claimId: claim.id, claimResponseId: result.record.id, status }, 'insurer answer recorded');
      if (result.followOn) this.deps.logger.info({ claimId: claim.id, followOn: result.followOn, insurer: coordination?.followOn?.insurerId }, 'claim sent on to the next payer');
      await this.deps.outbox.dispatch([
        ...(provider?.callbackUrl ? [callbackJob(result.record.id)] : []),
        ...(result.followOn ? coordination!.followOn!.jobs : []),
        ...(result.split ? coordination!.split!.jobs : []),
      ]);
    }
    return { record: stored(result.record, claim), created: result.created, cancelled: result.cancelled };
  }

  /**
   * Records a failed delivery attempt. On the last one the claim becomes a dead letter ("failed"), and
   * the provider gets an "error" ClaimResponse carrying the last error, by pull and by push.
   */
  async recordDeliveryFailure(claim: ClaimRecord, error: string, final: boolean): Promise<void> {
    if (!final) {
      await this.deps.claims.recordDeliveryFailure(claim.id, error);
      return;
    }
    const provider = await this.deps.registry.get(claim.providerId);
    const jobs = (responseId: string) => (provider?.callbackUrl ? [callbackJob(responseId)] : []);
    const response = deliveryErrorResponse(randomUUID(), claimOf(claim), { providerId: claim.providerId, insurerId: claim.insurerId }, {
      code: 'delivery-failed',
      disposition: {
        en: `The gateway could not deliver the claim to the insurer after ${claim.attempts + 1} attempts (last error: ${error}). Operators have been shown it as a dead letter; it may be replayed.`,
        fr: `La passerelle n'a pas pu transmettre la demande à l'assureur après ${claim.attempts + 1} tentatives (dernière erreur : ${error}). Elle apparaît aux opérateurs comme lettre morte ; elle pourra être rejouée.`,
      },
      text: { en: 'Delivery to the insurer failed after every retry', fr: "La transmission à l'assureur a échoué malgré toutes les nouvelles tentatives" },
    });
    if (await this.deps.claims.recordDeliveryFailure(claim.id, error, { response, jobs })) {
      this.deps.logger.warn({ claimId: claim.id, insurer: claim.insurerId }, 'claim became a dead letter');
      await this.deps.outbox.dispatch(jobs(response.id));
    }
  }

  /** Claims flagged stuck and still unanswered, oldest first. */
  stuckClaims(filter: { insurerId?: string; limit: number; offset: number }) {
    return this.deps.claims.stuck(filter);
  }

  /** Dead letters, most recent first. */
  deadLetters(filter: { insurerId?: string; limit: number; offset: number }) {
    return this.deps.claims.deadLetters(filter);
  }

  /** Queues dead letters again (same insurer idempotency key), recording the operator; returns those replayed. */
  async replay(claimIds: readonly string[], operatorId: string): Promise<ClaimRecord[]> {
    const replayed = await this.deps.claims.replay(claimIds, operatorId, (claim) => deliveryJob(claim.id, claim.insurerId, claim.replays));
    if (replayed.length > 0) {
      this.deps.logger.info({ claims: replayed.map((c) => c.id), by: operatorId }, 'dead letters replayed');
      await this.deps.outbox.dispatch(replayed.map((c) => deliveryJob(c.id, c.insurerId, c.replays)));
    }
    return replayed;
  }

  /**
   * A provider's status Task about one of its claims: when the claim waits for its insurer's answer,
   * the insurer is asked first, so the status is the insurer's latest word.
   */
  async claimStatus(request: ClaimTaskRequest, caller: Caller): Promise<Task & { id: string }> {
    if (caller.kind !== 'provider') throw notFound('Claim', request.claimId);
    let claim = await this.visibleClaim(request.claimId, caller);
    if (claim.status === 'pended' && this.deps.askInsurer && (await this.deps.askInsurer(claim))) {
      claim = (await this.deps.claims.get(claim.id))!;
    }
    return this.completed(request, claim);
  }

  /**
   * A provider's cancel Task. A claim the insurer has not taken (accepted, queued, or a dead letter) is
   * cancelled here and never delivered; a pended one only if its insurer agrees; an adjudicated one
   * never (409 cancel-too-late: send a corrected claim instead). Cancelling twice answers the same.
   */
  async cancelClaim(request: ClaimTaskRequest, caller: Caller): Promise<Task & { id: string }> {
    if (caller.kind !== 'provider') throw notFound('Claim', request.claimId);
    const claim = await this.visibleClaim(request.claimId, caller);
    const by = caller.participantId;
    // A follow-on claim of a coordination: its cancellation settles the split (that payer pays nothing).
    const split = claim.coordinationRoot ? await cancellationSplit(this.deps, claim, await this.deps.registry.get(claim.providerId)) : undefined;
    const here = await this.deps.claims.cancel(claim.id, [...CANCELLABLE_HERE], by, split);
    if (here.cancelled || here.claim?.status === 'cancelled') return this.completed(request, here.claim!);
    const current = here.claim!;
    if (current.status !== 'pended') throw tooLate(current);
    const asked = this.deps.cancelAtInsurer ? await this.deps.cancelAtInsurer(current) : undefined;
    if (asked === undefined) {
      throw gatewayError('cancel-not-offered', { en: `The insurer ${current.insurerId} has taken the claim and takes no cancellations through the gateway: ask it directly`, fr: `L'assureur ${current.insurerId} a déjà pris la demande en traitement et n'accepte pas d'annulation par la passerelle : adressez-vous directement à lui` }, 'Task.focus');
    }
    if (asked === 'too-late') throw tooLate(current);
    const atInsurer = await this.deps.claims.cancel(claim.id, ['pended'], by, split);
    if (!atInsurer.cancelled && atInsurer.claim?.status !== 'cancelled') throw tooLate(atInsurer.claim!);
    this.deps.logger.info({ claimId: claim.id, insurer: claim.insurerId }, 'claim cancelled at its insurer');
    return this.completed(request, atInsurer.claim!);
  }

  private async completed(request: ClaimTaskRequest, claim: ClaimRecord): Promise<Task & { id: string }> {
    const latest = (await this.deps.claims.responses(claim.id)).at(-1);
    return completedTask(request, claim, latest?.id);
  }

  /** The claim when the caller submitted it or it is addressed to the caller; otherwise 404. */
  async visibleClaim(id: string, caller: Caller): Promise<ClaimRecord> {
    const claim = await this.deps.claims.get(id);
    if (!claim || !canSee(caller, claim)) throw notFound('Claim', id);
    return claim;
  }

  /** The response when the caller may see its claim; otherwise 404. */
  async visibleResponse(id: string, caller: Caller): Promise<StoredResponse> {
    const response = await this.deps.claims.response(id);
    const claim = response ? await this.deps.claims.get(response.claimId) : undefined;
    if (!response || !claim || !canSee(caller, claim)) throw notFound('ClaimResponse', id);
    return stored(response, claim);
  }

  /** The responses of a claim the caller may see; none for a claim it may not see (no leak by search), none purged. */
  async visibleResponses(claimId: string, caller: Caller): Promise<StoredResponse[]> {
    const claim = await this.deps.claims.get(claimId);
    if (!claim || !canSee(caller, claim)) return [];
    return (await this.deps.claims.responses(claimId)).filter((r): r is StoredResponse => r.resource !== null);
  }

  /** The Claim as the gateway serves it: as accepted, plus its processing status and last change. */
  static claimResource(record: ClaimRecord): Claim {
    const claim = claimOf(record);
    return {
      ...claim,
      meta: { ...claim.meta, lastUpdated: record.updatedAt.toISOString() },
      extension: [...(claim.extension ?? []).filter((e) => !SERVED_EXTENSIONS.has(e.url)),
        { url: PROCESSING_STATUS_EXTENSION, valueCode: record.status },
        ...(record.stuckSince ? [{ url: STUCK_SINCE_EXTENSION, valueDateTime: record.stuckSince.toISOString() }] : []),
        ...(record.replacedBy ? [{ url: REPLACED_BY_EXTENSION, valueReference: { reference: `Claim/${record.replacedBy}` } }] : []),
        ...(record.coordinationRoot ? [{ url: COORDINATION_ORIGINAL_EXTENSION, valueReference: { reference: `Claim/${record.coordinationRoot}` } }] : []),
        ...(record.followOns ?? []).map((id) => ({ url: COORDINATION_FOLLOW_ON_EXTENSION, valueReference: { reference: `Claim/${id}` } }))],
    };
  }
}

/** The extensions the gateway sets on the Claims it serves (a provider's own of the same URL are dropped). */
const SERVED_EXTENSIONS: ReadonlySet<string> = new Set([
  PROCESSING_STATUS_EXTENSION, STUCK_SINCE_EXTENSION, REPLACED_BY_EXTENSION, COORDINATION_ORIGINAL_EXTENSION, COORDINATION_FOLLOW_ON_EXTENSION,
]);

/**
 * A provider sees what it sent (a claim, an eligibility request); an insurer what is addressed to it.
 * Operators use /admin.
 */
export function canSee(caller: Caller, exchange: { readonly providerId: string; readonly insurerId: string }): boolean {
  if (caller.kind === 'provider') return caller.participantId === exchange.providerId;
  if (caller.kind === 'insurer') return caller.participantId === exchange.insurerId;
  return false;
}

/** The Claim of a stored claim bundle (its first entry); 410 when it was purged. */
export function claimOf(record: ClaimRecord): Claim {
  if (!record.bundle) throw purged(record);
  return record.bundle.entry![0]!.resource as Claim;
}

/** The refusal of a cancellation that comes too late: the insurer has adjudicated the claim. */
function tooLate(claim: ClaimRecord) {
  return gatewayError('cancel-too-late', { en: `The claim is ${claim.status}: its insurer has adjudicated it, so it can no longer be cancelled. Send a corrected claim instead`, fr: `La demande est au statut ${claim.status} : son assureur a déjà statué, elle ne peut donc plus être annulée. Envoyez plutôt une demande corrigée` }, 'Task.focus');
}

/** A response whose resource is still there (not purged). */
export type StoredResponse = ResponseRecord & { readonly resource: ClaimResponse };

function stored(response: ResponseRecord, claim: ClaimRecord): StoredResponse {
  if (!response.resource) throw purged(claim);
  return response as StoredResponse;
}

function purged(record: ClaimRecord): OperationOutcomeError {
  return gatewayError('purged', { en: `The data of Claim/${record.id} was purged on ${record.purgedAt?.toISOString().slice(0, 10) ?? 'an earlier date'}, after the retention period`, fr: `Les données de Claim/${record.id} ont été purgées ${record.purgedAt ? `le ${record.purgedAt.toISOString().slice(0, 10)}` : 'à une date antérieure'}, à l'issue de la durée de conservation` });
}
