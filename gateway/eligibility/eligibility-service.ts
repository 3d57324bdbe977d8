/**
 * Eligibility, free of HTTP: answer a provider's question from the insurer's synced registry or its
 * live API, within the answer budget (past it: "queued" now, the answer later by pull and push), and
 * tell the claim pipeline whether a member is covered on a claim's service dates.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, CoverageEligibilityRequest, CoverageEligibilityResponse } from '@medplum/fhirtypes';
import type { Caller } from '../auth/tokens.js';
import { gatewayError, notFound, type Bilingual } from '../fhir/outcomes.js';
import type { Logger } from '../logger.js';
import type { OutboxDispatcher } from '../queue/outbox.js';
import { PARTICIPANT_SYSTEM, type Participant, type ParticipantRegistry } from '../participants/registry.js';
import type { ResourceValidator } from '../validation/validators.js';
import type { PackVersion } from '../validation/packs.js';
import type { Language } from '../validation/rules.js';
import { eligibilityCheckJob, eligibilityPushJob } from '../../workers/jobs.js';
import { canSee } from '../claims/claim-service.js';
import { withValidationWarnings } from '../claims/gateway-responses.js';
import { readEligibilityQuestion, storedQuestion, type EligibilityQuestion, type MemberIdentifier } from './eligibility-request.js';
import type { EligibilityRecord, EligibilityRepository } from './eligibility-repository.js';
import {
  coversDates, errorResponse, periodText, queuedResponse, responseFromCoverages, responseFromInsurer, type AnswerIds, type CoverageFact,
} from './eligibility-response.js';
import { InsurerUnavailable, type LiveEligibility, type LiveFinding } from './live-eligibility.js';
import type { MemberStore } from './member-store.js';
import { LIVE_DEFAULTS, type EligibilitySettings } from './settings.js';

export interface EligibilityServiceDeps {
  readonly repository: EligibilityRepository;
  readonly members: MemberStore;
  readonly live: LiveEligibility;
  readonly registry: ParticipantRegistry;
  readonly validators: readonly ResourceValidator[];
  readonly outbox: OutboxDispatcher;
  readonly logger: Logger;
  readonly maxBundleEntries: (participantId: string) => Promise<number>;
  readonly packsFor: (insurer: Participant | undefined) => readonly PackVersion[];
  /** Past this many ms a provider gets "queued" (an insurer's own budgetMs wins). */
  readonly budgetMs: number;
}

/** The answer to a provider's question. */
export interface EligibilityOutcome {
  readonly status: 200 | 202;
  readonly requestId: string;
  readonly response: CoverageEligibilityResponse & { id: string };
}

/** What the registry says of a member on a claim's service dates. */
export type MemberCoverage =
  | { readonly kind: 'covered' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'not-in-force'; readonly detail: Bilingual }
  | { readonly kind: 'unverified'; readonly reason: Bilingual };

type Insurer = Participant & { readonly eligibility: EligibilitySettings };

/** Answers eligibility questions. */
export class EligibilityService {
  constructor(private readonly deps: EligibilityServiceDeps) {}

  /** Answers a provider's CoverageEligibilityRequest (200), or "queued" (202) when the insurer is slower than the budget. */
  async submit(body: Record<string, unknown>, caller: Caller, language: Language): Promise<EligibilityOutcome> {
    const question = await readEligibilityQuestion(body, {
      caller, registry: this.deps.registry, validators: this.deps.validators, language, packsFor: this.deps.packsFor,
      maxEntries: await this.deps.maxBundleEntries(caller.participantId), today,
    });
    const requestId = randomUUID();
    const record = { id: requestId, providerId: caller.participantId, insurerId: question.insurer.id, request: withId(question.bundle, requestId) };
    // Validation warnings travel with the answer the provider gets now, as with claims.
    const withWarnings = <T extends CoverageEligibilityResponse & { id: string }>(response: T) => withValidationWarnings(response, question.warnings);
    if (question.insurer.eligibility.mode === 'synced') {
      const response = withWarnings(responseFromCoverages(question, ids(requestId), await this.syncedCoverages(question.insurer, question.member)));
      await this.deps.repository.insertAnswered({ ...record, mode: 'synced', response });
      return { status: 200, requestId, response };
    }
    const work = this.answerLive(question, requestId);
    const budget = question.insurer.eligibility.budgetMs ?? this.deps.budgetMs;
    const first = await within(work, budget);
    if (first.done) {
      if (first.error) throw unavailable(first.error);
      const response = withWarnings(first.value);
      await this.deps.repository.insertAnswered({ ...record, mode: 'live', response });
      return { status: 200, requestId, response };
    }
    const queued = withWarnings(queuedResponse(question, ids(requestId)));
    // The check job waits for the call in flight to end (its timeout): it asks again only if that call fails.
    const jobs = [eligibilityCheckJob(requestId, (question.insurer.eligibility.timeoutMs ?? LIVE_DEFAULTS.timeoutMs) + 1000)];
    await this.deps.repository.insertQueued({ ...record, queuedResponse: queued, jobs });
    this.deps.outbox.dispatchSoon(jobs);
    this.deps.logger.info({ eligibilityRequest: requestId, insurer: question.insurer.id, budgetMs: budget }, 'eligibility answer past the budget: queued');
    work.then((response) => this.record(requestId, caller.participantId, response))
      .catch((err: Error) => this.deps.logger.warn({ eligibilityRequest: requestId, err: { message: err.message } }, 'eligibility call after the budget failed; the check job asks again'));
    return { status: 202, requestId, response: queued };
  }

  /**
   * The check job of a queued request: asks the insurer again unless the request was answered. On the
   * last attempt an insurer that still does not answer gets the provider an "error" answer.
   */
  async checkQueued(requestId: string, lastAttempt: boolean): Promise<string> {
    const record = await this.deps.repository.get(requestId);
    if (!record) return 'obsolete: no such request';
    if (record.status !== 'queued') return `obsolete: already ${record.status}`;
    const insurer = await this.deps.registry.get(record.insurerId);
    const question = insurer?.eligibility ? storedQuestion(record.request, record.providerId, insurer as Insurer, today()) : undefined;
    if (!question) throw new Error(`insurer ${record.insurerId} no longer offers eligibility`);
    let response: CoverageEligibilityResponse & { id: string };
    try {
      response = await this.answerLive(question, requestId);
    } catch (err) {
      if (!(err instanceof InsurerUnavailable) || !lastAttempt) throw err;
      response = errorResponse(question, ids(requestId), 'insurer-unavailable', {
        en: `${insurer!.name} did not answer after every retry: ${err.message}`,
        fr: `${insurer!.name} n'a pas répondu malgré toutes les nouvelles tentatives : ${err.message}`,
      });
    }
    await this.record(requestId, record.providerId, response);
    return `answered: ${response.outcome}`;
  }

  /** The request, when the caller asked it (provider) or was asked (insurer); else 404. */
  async visibleRequest(id: string, caller: Caller): Promise<EligibilityRecord> {
    const record = await this.deps.repository.get(id);
    if (!record || !canSee(caller, record)) throw notFound('CoverageEligibilityRequest', id);
    return record;
  }

  /** The answer (queued or final) with this id, under the same rule. */
  async visibleResponse(id: string, caller: Caller): Promise<CoverageEligibilityResponse> {
    const record = await this.deps.repository.byResponseId(id);
    const response = [record?.response, record?.queuedResponse].find((r) => r?.id === id);
    if (!record || !response || !canSee(caller, record)) throw notFound('CoverageEligibilityResponse', id);
    return response;
  }

  /** The answers of a request, queued first; none for a request the caller may not see. */
  async visibleResponses(requestId: string, caller: Caller): Promise<CoverageEligibilityResponse[]> {
    const record = await this.deps.repository.get(requestId);
    if (!record || !canSee(caller, record)) return [];
    return [record.queuedResponse, record.response].filter((r): r is CoverageEligibilityResponse & { id: string } => r !== undefined);
  }

  /**
   * Whether a member is covered by this insurer on every day from start to end, for the claim pipeline.
   * A live insurer slower than the budget, or unavailable, leaves the question unverified.
   */
  async memberCoverage(insurer: Insurer, member: MemberIdentifier, providerId: string, start: string, end: string): Promise<MemberCoverage> {
    if (insurer.eligibility.mode === 'synced') return judge(await this.syncedCoverages(insurer, member), start, end);
    const question = claimQuestion(insurer, member, providerId, start, end);
    const asked = await within(this.deps.live.ask(question, `claim-check-${randomUUID()}`), insurer.eligibility.budgetMs ?? this.deps.budgetMs);
    if (!asked.done) return { kind: 'unverified', reason: { en: `${insurer.name} did not answer within the budget`, fr: `${insurer.name} n'a pas répondu dans le délai imparti` } };
    if (asked.error) return { kind: 'unverified', reason: { en: asked.error.message, fr: asked.error.message } };
    return judgeFinding(asked.value, start, end);
  }

  private async syncedCoverages(insurer: Insurer, member: MemberIdentifier): Promise<CoverageFact[]> {
    return (await this.deps.members.find(insurer.id, member.value)).filter((c) => c.memberSystem === member.system);
  }

  private async answerLive(question: EligibilityQuestion, requestId: string): Promise<CoverageEligibilityResponse & { id: string }> {
    const finding = await this.deps.live.ask(question, requestId);
    const answerIds = ids(requestId);
    switch (finding.kind) {
      case 'insurer':
        return responseFromInsurer(question, answerIds, finding.finding);
      case 'coverages':
        return responseFromCoverages(question, answerIds, finding.coverages);
      case 'refused':
        return errorResponse(question, answerIds, 'insurer-refused',
          {
            en: `${question.insurer.name} refused the question (HTTP ${finding.httpStatus})${finding.texts.length ? `: ${finding.texts.join('; ')}` : ''}`,
            fr: `${question.insurer.name} a refusé la demande de vérification (HTTP ${finding.httpStatus})${finding.texts.length ? ` : ${finding.texts.join('; ')}` : ''}`,
          });
    }
  }

  /** Records the final answer of a queued request and pushes it to the provider. */
  private async record(requestId: string, providerId: string, response: CoverageEligibilityResponse & { id: string }): Promise<void> {
    const provider = await this.deps.registry.get(providerId);
    const jobs = provider?.callbackUrl ? [eligibilityPushJob(requestId)] : [];
    if (await this.deps.repository.answer(requestId, response, jobs)) {
      this.deps.logger.info({ eligibilityRequest: requestId, outcome: response.outcome }, 'eligibility answer recorded');
      await this.deps.outbox.dispatch(jobs);
    }
  }
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function ids(requestId: string): AnswerIds {
  return { responseId: randomUUID(), requestId, created: new Date() };
}

/** The request as stored and forwarded: it carries the gateway's id. */
function withId(bundle: Bundle, requestId: string): Bundle {
  const [first, ...rest] = bundle.entry ?? [];
  return { ...bundle, entry: [{ ...first, resource: { ...(first!.resource as CoverageEligibilityRequest), id: requestId } }, ...rest] };
}

function unavailable(err: Error) {
  if (!(err instanceof InsurerUnavailable)) return err;
  const error = gatewayError('insurer-unavailable', { en: `${err.message}. Try again later.`, fr: `${err.message}. Réessayez plus tard.` });
  if (err.retryAfterMs) error.retryAfterSeconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
  return error;
}

type Settled<T> = { done: false } | { done: true; value: T; error?: undefined } | { done: true; error: Error };

/** The promise's outcome if it settles within ms; otherwise "not done" (it goes on). */
async function within<T>(work: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Settled<T>>((resolve) => (timer = setTimeout(() => resolve({ done: false }), ms)));
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value }), (error: Error) => ({ done: true as const, error })), late]);
  } finally {
    clearTimeout(timer);
  }
}

function judge(coverages: readonly CoverageFact[], start: string, end: string): MemberCoverage {
  if (coverages.length === 0) return { kind: 'unknown' };
  if (coverages.some((c) => coversDates(c, start, end))) return { kind: 'covered' };
  return { kind: 'not-in-force', detail: periodText(coverages[0]!) };
}

function judgeFinding(finding: LiveFinding, start: string, end: string): MemberCoverage {
  if (finding.kind === 'coverages') return judge(finding.coverages, start, end);
  if (finding.kind === 'refused') {
    return { kind: 'unverified', reason: { en: `the insurer refused the question (HTTP ${finding.httpStatus})`, fr: `l'assureur a refusé la demande de vérification (HTTP ${finding.httpStatus})` } };
  }
  const insurance = finding.finding.insurance ?? [];
  if (finding.finding.outcome === 'error' && insurance.length === 0) return { kind: 'unknown' };
  const inPeriod = (p: { start?: string; end?: string } | undefined) => (!p?.start || p.start.slice(0, 10) <= start) && (!p?.end || end <= p.end.slice(0, 10));
  if (insurance.some((i) => i.inforce === true && inPeriod(i.benefitPeriod))) return { kind: 'covered' };
  const disposition = finding.finding.disposition;
  return { kind: 'not-in-force', detail: disposition ? { en: disposition, fr: disposition } : { en: 'the insurer says the coverage is not in force', fr: "l'assureur indique que la couverture n'est pas en vigueur" } };
}

/** The question the claim pipeline asks a live insurer: a bare request naming the member. */
function claimQuestion(insurer: Insurer, member: MemberIdentifier, providerId: string, start: string, end: string): EligibilityQuestion {
  const request: CoverageEligibilityRequest = {
    resourceType: 'CoverageEligibilityRequest', status: 'active', purpose: ['validation'],
    patient: { identifier: { system: member.system, value: member.value } },
    ...(start === end ? { servicedDate: start } : { servicedPeriod: { start, end } }),
    created: new Date().toISOString(),
    provider: { identifier: { system: PARTICIPANT_SYSTEM, value: providerId } },
    insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: insurer.id } },
    insurance: [{ focal: true, coverage: { identifier: { system: member.system, value: member.value } } }],
  };
  return {
    bundle: { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: `urn:uuid:${randomUUID()}`, resource: request }] },
    request, providerId, insurer, member, date: start, ...(start === end ? {} : { endDate: end }), purposes: ['validation'], items: [], warnings: [],
  };
}
