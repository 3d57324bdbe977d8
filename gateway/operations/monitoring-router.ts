/**
 * What the operator console watches (admin scope, plain JSON like router.ts): the transaction log with
 * its filters, and each insurer's health (queue depth from BullMQ, answer latency and error rate from
 * the database, circuit state). The console polls these every few seconds.
 */
import express from 'express';
import type { Bundle, CoverageEligibilityRequest } from '@medplum/fhirtypes';
import { ADMIN_SCOPE, PHI_SCOPE } from '../auth/tokens.js';
import { EligibilityRepository } from '../eligibility/eligibility-repository.js';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError, notFound } from '../fhir/outcomes.js';
import type { Database, Queryable } from '../store/database.js';
import type { QueueRegistry } from '../queue/queues.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { deliveryQueueName } from '../../workers/jobs.js';
import { pageOf } from './router.js';
import { TransactionLog, type TransactionKind } from './transaction-log.js';

export interface MonitoringDeps {
  readonly db: Database;
  /** Where the transaction log and the insurer statistics are read: a read replica (DATABASE_READ_URL), or db. */
  readonly reads: Queryable;
  readonly queues: QueueRegistry;
  readonly registry: ParticipantRegistry;
  readonly idempotency: IdempotencyStore;
  /** The live eligibility circuit of an insurer in this process. */
  readonly eligibilityCircuit: (insurerId: string) => string;
  readonly publicBaseUrl?: string;
}

/** Minutes of traffic the latency and error rate are computed over. */
export const HEALTH_WINDOW_MINUTES = 15;

const JOB_STATES = ['waiting', 'active', 'failed', 'delayed'] as const;
const KINDS: readonly TransactionKind[] = ['claim', 'eligibility'];

function text(query: Readonly<Record<string, unknown>>, name: string, max = 200): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw gatewayError('search-parameter', { en: `${name} must be one text of at most ${max} characters`, fr: `${name} doit être un seul texte d'au plus ${max} caractères` });
  return value;
}

function instant(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = text(query, name, 40);
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw gatewayError('search-parameter', { en: `${name} must be a date (YYYY-MM-DD) or an ISO 8601 instant`, fr: `${name} doit être une date (AAAA-MM-JJ) ou un instant ISO 8601` });
  }
  return value;
}

/** The monitoring router (mounted after authentication). */
export function monitoringRouter(deps: MonitoringDeps): express.Router {
  const router = express.Router();
  const log = new TransactionLog(deps.reads);
  const route = (handler: (req: FhirRequest) => Promise<FhirAnswer>) => fhirRoute(handler, { scope: ADMIN_SCOPE, json: true }, deps);

  router.get('/admin/transactions', route(async (req) => {
    const kind = text(req.query, 'kind');
    if (kind !== undefined && !KINDS.includes(kind as TransactionKind)) throw gatewayError('search-parameter', { en: `kind must be ${KINDS.join(' or ')}`, fr: `kind doit valoir ${KINDS.join(' ou ')}` });
    const page = pageOf(req.query);
    const until = instant(req.query, 'until');
    const { total, transactions } = await log.search({
      kind: kind as TransactionKind | undefined, provider: text(req.query, 'provider'), insurer: text(req.query, 'insurer'),
      status: text(req.query, 'status'), identifier: text(req.query, 'identifier'), since: instant(req.query, 'since'),
      // A day as the upper bound includes that whole day.
      until: until && until.length === 10 ? `${until}T23:59:59.999Z` : until, ...page,
    });
    return { status: 200, resource: { total, ...page, transactions } };
  }));

  // One eligibility request: what it asked of whom, how it was answered and when. The request and its
  // answers (member and coverage details) only for operators holding the PHI scope, as for claims.
  const eligibility = new EligibilityRepository(deps.db);
  router.get('/admin/eligibility-requests/:id', route(async (req) => {
    const record = await eligibility.get(req.params.id!);
    if (!record) throw notFound('CoverageEligibilityRequest', req.params.id!);
    const phi = req.caller.scopes.has(PHI_SCOPE);
    // Stored as sent: a Bundle holding the CoverageEligibilityRequest, or the request alone.
    const stored = record.request as Bundle | CoverageEligibilityRequest;
    const request = stored.resourceType === 'CoverageEligibilityRequest' ? stored
      : stored.entry?.map((e) => e.resource).find((r): r is CoverageEligibilityRequest => r?.resourceType === 'CoverageEligibilityRequest');
    const answers = [record.queuedResponse, record.response].filter((r) => r !== undefined);
    return {
      status: 200,
      resource: {
        id: record.id, kind: 'eligibility', provider: record.providerId, insurer: record.insurerId, mode: record.mode, status: record.status,
        identifier: request?.identifier?.[0]?.value ?? null,
        purpose: request?.purpose ?? [],
        createdAt: record.createdAt.toISOString(), answeredAt: record.answeredAt?.toISOString() ?? null,
        // How long a request first answered `queued` waited for its final answer (one answered at once is stored answered).
        answerMs: record.queuedResponse && record.answeredAt ? record.answeredAt.getTime() - record.createdAt.getTime() : null,
        phi,
        responses: answers.map((r) => ({
          id: r.id, outcome: r.outcome ?? null, created: r.created ?? null,
          // Error codes name what went wrong (member unknown, coverage lapsed...), never who.
          errors: (r.error ?? []).map((e) => e.code.coding?.[0]?.code ?? e.code.text ?? null).filter((c) => c !== null),
          resource: phi ? r : null,
        })),
        request: phi ? record.request : null,
      },
    };
  }));

  router.get('/admin/insurer-health', route(async () => {
    const [insurers, traffic] = await Promise.all([deps.registry.insurers(), log.traffic(HEALTH_WINDOW_MINUTES)]);
    const health = await Promise.all(insurers.map(async (insurer) => {
      const queue = deps.queues.get(deliveryQueueName(insurer.id));
      const [counts, pausedMs] = await Promise.all([queue.getJobCounts(...JOB_STATES), queue.getRateLimitTtl()]);
      const figures = traffic.get(insurer.id);
      return {
        insurer: insurer.id, name: insurer.name, status: insurer.status,
        queue: Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])),
        // An open delivery circuit pauses the insurer's queue (workers/claim-delivery.ts): the pause is in Redis, seen by every process.
        circuit: pausedMs > 0 ? 'open' : 'closed',
        circuitRetryInMs: pausedMs > 0 ? pausedMs : null,
        eligibilityCircuit: insurer.eligibility?.mode === 'live' ? deps.eligibilityCircuit(insurer.id) : null,
        answerSeconds: figures?.answerSeconds ?? { p50: null, p99: null },
        answers: figures?.answers ?? 0, failedAttempts: figures?.failedAttempts ?? 0, errorRate: figures?.errorRate ?? null,
        deadLetters: figures?.deadLetters ?? 0, stuck: figures?.stuck ?? 0,
      };
    }));
    return { status: 200, resource: { windowMinutes: HEALTH_WINDOW_MINUTES, at: new Date().toISOString(), insurers: health } };
  }));

  return router;
}
