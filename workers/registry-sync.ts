/**
 * Incremental sync of synced registries: a BullMQ repeatable job per insurer whose eligibility settings
 * give syncIntervalMinutes pulls the Coverage changed since the last pull from the insurer's FHIR API
 * (Coverage?_lastUpdated=gt{cursor}, page by page, with the beneficiaries included) and upserts them
 * into the gateway's copy. Between two roster imports the copy thus follows the insurer's changes:
 * new members, renewed or cancelled coverage.
 *
 * Each page is upserted in its own transaction; the cursor (the greatest meta.lastUpdated pulled) moves
 * only when the whole run succeeded, whatever order the insurer pages in, so a run that fails half-way
 * is pulled again from the same point. Retry policy: the scheduler's next run is the retry (a failed
 * run records its error in registry_sync_state, shown to operators).
 *
 * Safe to run twice: upserts by coverage id, and the cursor only moves forward.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Coverage } from '@medplum/fhirtypes';
import type { Database } from '../gateway/store/database.js';
import type { Logger } from '../gateway/logger.js';
import type { ParticipantRegistry } from '../gateway/participants/registry.js';
import type { RedisHandle } from '../gateway/queue/redis.js';
import { MemberStore, type RegistryCoverage } from '../gateway/eligibility/member-store.js';
import { CoverageRejected, identifierValue, registryCoverageOf } from '../gateway/eligibility/fhir-coverage.js';
import type { AdapterRegistry } from '../mappings/index.js';
import { REGISTRY_SYNC_QUEUE, type RegistrySyncJobData } from './jobs.js';
import type { InsurerSchedule } from './job-schedules.js';

const PAGE_SIZE = 500;

export interface RegistrySyncDeps {
  readonly db: Database;
  readonly registry: ParticipantRegistry;
  readonly adapters: AdapterRegistry;
  readonly logger: Logger;
}

/** What one sync run did. */
export interface SyncRun {
  readonly pulled: number;
  readonly rejected: number;
  readonly cursor?: string;
}

/** Pulls an insurer's changed Coverage into its synced registry. */
export async function syncRegistry(insurerId: string, deps: RegistrySyncDeps): Promise<SyncRun> {
  const insurer = await deps.registry.get(insurerId);
  if (!insurer?.eligibility || insurer.eligibility.mode !== 'synced') throw new UnrecoverableError(`insurer ${insurerId} has no synced registry`);
  const adapter = deps.adapters.get(insurer.adapter);
  if (!adapter.fetchChangedCoverage) throw new UnrecoverableError(`the ${adapter.name} adapter cannot pull changed coverage`);
  const { memberSystem } = insurer.eligibility;
  const since = (await new MemberStore(deps.db).syncState(insurerId)).cursor;
  let cursor = since;
  let pulled = 0;
  let rejected = 0;
  try {
    for await (const page of adapter.fetchChangedCoverage({ insurerId, settings: insurer.adapterSettings, since, pageSize: PAGE_SIZE })) {
      const members = new Map(page.patients.map((p) => [`Patient/${p.id}`, identifierValue(p.identifier, memberSystem)]));
      const rows: RegistryCoverage[] = [];
      for (const coverage of page.coverages) {
        try {
          rows.push(registryCoverageOf(coverage, memberSystem, (ref) => members.get(ref.replace(/^.*\/(Patient\/[^/]+)$/, '$1'))));
        } catch (err) {
          if (!(err instanceof CoverageRejected)) throw err;
          rejected++;
        }
        cursor = later(cursor, coverage);
      }
      pulled += page.coverages.length;
      await deps.db.transaction(async (tx) => {
        await MemberStore.lock(tx, insurerId); // waits for an import in progress, which could otherwise end these rows
        await MemberStore.upsert(tx, insurerId, latestPerCoverage(rows), 'sync');
      });
    }
  } catch (err) {
    await deps.db.transaction((tx) => MemberStore.saveSyncState(tx, insurerId, { cursor: since, pulled, error: (err as Error).message }));
    throw err;
  }
  await deps.db.transaction((tx) => MemberStore.saveSyncState(tx, insurerId, { cursor, pulled }));
  if (pulled > 0 || rejected > 0) deps.logger.info({ insurer: insurerId, pulled, rejected }, 'registry sync pulled changed coverage');
  return { pulled, rejected, cursor: cursor?.toISOString() };
}

/** The later of the cursor and a Coverage's meta.lastUpdated. */
function later(cursor: Date | undefined, coverage: Coverage): Date | undefined {
  const at = coverage.meta?.lastUpdated ? new Date(coverage.meta.lastUpdated) : undefined;
  if (!at || Number.isNaN(at.getTime())) return cursor;
  return !cursor || at > cursor ? at : cursor;
}

/** One row per coverage id (the last of the page): one statement may not touch a row twice. */
function latestPerCoverage(rows: readonly RegistryCoverage[]): RegistryCoverage[] {
  return [...new Map(rows.map((r) => [r.coverageId, r])).values()];
}

/** One repeatable sync job per insurer whose synced registry gives syncIntervalMinutes (see job-schedules.ts). */
export const REGISTRY_SYNC_SCHEDULE: InsurerSchedule = {
  queue: REGISTRY_SYNC_QUEUE, prefix: 'sync', jobName: 'sync-registry',
  intervalMs: (insurer) => (insurer.eligibility?.mode === 'synced' && insurer.eligibility.syncIntervalMinutes ? insurer.eligibility.syncIntervalMinutes * 60_000 : null),
};


/** Starts the registry sync worker (one sync at a time per process: they are bulk work). */
export function startRegistrySyncWorker(deps: RegistrySyncDeps & { redis: RedisHandle; prefix: string }): Worker<RegistrySyncJobData> {
  const worker = new Worker<RegistrySyncJobData>(REGISTRY_SYNC_QUEUE, async (job: Job<RegistrySyncJobData>) => {
    const run = await syncRegistry(job.data.insurerId, deps);
    return `pulled ${run.pulled}, rejected ${run.rejected}`;
  }, { connection: deps.redis.workerConnection(), prefix: deps.prefix, concurrency: 1 });
  worker.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'registry sync worker error'));
  return worker;
}
