/**
 * GET /metrics in the Prometheus text format (prom-client): the reliability signals operators alert on,
 * read from the stores at scrape time so every API process reports the same truth. Counts only, never
 * patient data. (HTTP request metrics and the rest of the catalogue come with the console work.)
 */
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Queryable } from '../store/database.js';
import type { QueueRegistry } from '../queue/queues.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { CALLBACK_QUEUE, deliveryQueueName } from '../../workers/jobs.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** Completed jobs per insurer the job duration quantiles are read from. */
const RECENT_JOBS = 100;

export interface MetricsDeps {
  /** The primary, or its read replica (DATABASE_READ_URL): counts may lag by the replica's delay. */
  readonly db: Queryable;
  readonly queues: QueueRegistry;
  readonly registry: ParticipantRegistry;
}

/** A registry with the gateway's gauges; each scrape reads the stores once. */
export function gatewayMetrics(deps: MetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'passerelle_' });
  new Gauge({
    name: 'passerelle_claims', help: 'Claims by processing status', labelNames: ['status'], registers: [registry],
    async collect() {
      const { rows } = await deps.db.query<{ status: string; n: number }>('select status, count(*)::int as n from claims group by status');
      this.reset();
      for (const row of rows) this.set({ status: row.status }, row.n);
    },
  });
  new Gauge({
    name: 'passerelle_claims_stuck', help: 'Claims without an insurer answer past their deadline', labelNames: ['insurer'], registers: [registry],
    async collect() {
      const { rows } = await deps.db.query<{ insurer_id: string; n: number }>(
        `select insurer_id, count(*)::int as n from claims where stuck_since is not null and status in ('accepted', 'queued', 'pended') group by insurer_id`);
      this.reset();
      for (const row of rows) this.set({ insurer: row.insurer_id }, row.n);
    },
  });
  new Gauge({
    name: 'passerelle_dead_letters', help: 'Claims whose delivery failed for good, waiting for a replay', labelNames: ['insurer'], registers: [registry],
    async collect() {
      const { rows } = await deps.db.query<{ insurer_id: string; n: number }>(`select insurer_id, count(*)::int as n from claims where status = 'failed' group by insurer_id`);
      this.reset();
      for (const row of rows) this.set({ insurer: row.insurer_id }, row.n);
    },
  });
  new Gauge({
    name: 'passerelle_outbox_pending', help: 'Jobs stored but not yet added to their queue', registers: [registry],
    async collect() {
      const { rows } = await deps.db.query<{ n: number }>('select count(*)::int as n from outbox where dispatched_at is null');
      this.set(rows[0]!.n);
    },
  });
  new Gauge({
    name: 'passerelle_queue_jobs', help: 'Jobs per queue and state', labelNames: ['queue', 'state'], registers: [registry],
    async collect() {
      const names = [...(await deps.registry.insurers()).map((i) => deliveryQueueName(i.id)), CALLBACK_QUEUE];
      this.reset();
      for (const name of names) {
        const counts = await deps.queues.get(name).getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'passerelle_delivery_job_seconds', help: "Time delivery jobs took (the insurer's answer to Claim/$submit included), over each insurer's last 100 completed jobs",
    labelNames: ['insurer', 'quantile'], registers: [registry],
    async collect() {
      this.reset();
      for (const insurer of await deps.registry.insurers()) {
        const jobs = await deps.queues.get(deliveryQueueName(insurer.id)).getJobs(['completed'], 0, RECENT_JOBS - 1);
        const seconds = jobs.filter((j) => j.processedOn && j.finishedOn).map((j) => (j.finishedOn! - j.processedOn!) / 1000).sort((a, b) => a - b);
        if (seconds.length === 0) continue;
        for (const q of [0.5, 0.99]) this.set({ insurer: insurer.id, quantile: String(q) }, seconds[Math.min(seconds.length - 1, Math.floor(q * seconds.length))]!);
      }
    },
  });
  new Gauge({
    name: 'passerelle_insurer_answer_seconds', help: "Time from a claim's acceptance to its insurer's answer, over the answers of the last 15 minutes",
    labelNames: ['insurer', 'quantile'], registers: [registry],
    async collect() {
      const { rows } = await deps.db.query<{ insurer_id: string; p50: number; p99: number }>(
        `select c.insurer_id, percentile_cont(0.5) within group (order by extract(epoch from r.created_at - c.created_at))::float8 as p50,
                percentile_cont(0.99) within group (order by extract(epoch from r.created_at - c.created_at))::float8 as p99
         from claim_responses r join claims c on c.id = r.claim_id
         where r.source = 'insurer' and r.created_at > now() - interval '15 minutes' group by c.insurer_id`);
      this.reset();
      for (const row of rows) {
        this.set({ insurer: row.insurer_id, quantile: '0.5' }, Number(row.p50));
        this.set({ insurer: row.insurer_id, quantile: '0.99' }, Number(row.p99));
      }
    },
  });
  new Counter({ name: VALIDATION_FAILURES_METRIC, help: 'Validation errors of submitted claims and eligibility requests, by rule id (counted per API process)', labelNames: ['rule'], registers: [registry] });
  new Counter({ name: ELIGIBILITY_CACHE_METRIC, help: 'Live eligibility questions answered from the cache (hit) or by the insurer (miss)', labelNames: ['insurer', 'result'], registers: [registry] });
  new Gauge({
    name: 'passerelle_registry_sync_last_run_seconds', help: 'Unix time of the last incremental sync run of each synced registry', labelNames: ['insurer'], registers: [registry],
    async collect() {
      const { rows } = await deps.db.query<{ insurer_id: string; at: number }>('select insurer_id, extract(epoch from last_run_at)::float8 as at from registry_sync_state where last_run_at is not null');
      this.reset();
      for (const row of rows) this.set({ insurer: row.insurer_id }, Number(row.at));
    },
  });
  new Gauge({
    name: 'passerelle_registry_sync_failing', help: '1 when the last incremental sync run of a synced registry failed', labelNames: ['insurer'], registers: [registry],
    async collect() {
      const { rows } = await deps.db.query<{ insurer_id: string; failing: boolean }>('select insurer_id, last_error is not null as failing from registry_sync_state');
      this.reset();
      for (const row of rows) this.set({ insurer: row.insurer_id }, row.failing ? 1 : 0);
    },
  });
  return registry;
}

const ELIGIBILITY_CACHE_METRIC = 'passerelle_eligibility_cache_total';
const VALIDATION_FAILURES_METRIC = 'passerelle_validation_failures_total';

/** Counts one validation error of a submission, by rule id. */
export function countValidationFailure(registry: Registry, rule: string): void {
  (registry.getSingleMetric(VALIDATION_FAILURES_METRIC) as Counter | undefined)?.inc({ rule });
}

/** Counts a live eligibility question answered from the cache or not. */
export function countEligibilityCache(registry: Registry, insurerId: string, hit: boolean): void {
  (registry.getSingleMetric(ELIGIBILITY_CACHE_METRIC) as Counter | undefined)?.inc({ insurer: insurerId, result: hit ? 'hit' : 'miss' });
}

/**
 * Middleware timing every request by method, route pattern (never the ids in the URL) and status, into
 * passerelle_http_request_duration_seconds (its _count is the request count).
 */
export function httpMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'passerelle_http_request_duration_seconds', help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** The /metrics route, on the registry the gateway's metrics are in. */
export function metricsRouter(registry: Registry): express.Router {
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
