/**
 * The operator API of eligibility (/admin, admin scope): each insurer's registry as operators watch it
 * (mode and policy, coverages by status, the last roster imports, the incremental sync, the circuit of
 * its live API in this process), and a sync started now instead of at the next interval. The imports'
 * messages (a failed import's error, the rows it skipped) come in the request's language
 * (Accept-Language, else DEFAULT_LANGUAGE).
 */
import express from 'express';
import type { Queue } from 'bullmq';
import { ADMIN_SCOPE } from '../auth/tokens.js';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError, notFound } from '../fhir/outcomes.js';
import type { Participant, ParticipantRegistry } from '../participants/registry.js';
import type { Language } from '../validation/rules.js';
import type { LiveEligibility } from './live-eligibility.js';
import { importInLanguage, type MemberStore } from './member-store.js';

export interface RegistryAdminDeps {
  readonly registry: ParticipantRegistry;
  readonly members: MemberStore;
  readonly live: LiveEligibility;
  /** The registry-sync queue. */
  readonly syncQueue: () => Queue;
  readonly idempotency: IdempotencyStore;
  readonly publicBaseUrl?: string;
  /** The language of answers to requests without Accept-Language (DEFAULT_LANGUAGE). */
  readonly defaultLanguage?: Language;
}

/** The registries router (mounted after authentication). */
export function registryAdminRouter(deps: RegistryAdminDeps): express.Router {
  const router = express.Router();
  const route = (handler: (req: FhirRequest) => Promise<FhirAnswer>) => fhirRoute(handler, { scope: ADMIN_SCOPE, json: true }, deps);
  const insurer = async (id: string): Promise<Participant> => {
    const found = await deps.registry.get(id);
    if (found?.kind !== 'insurer') throw notFound('Organization', id);
    return found;
  };

  router.get('/admin/registries', route(async (req) => {
    const insurers = (await deps.registry.insurers()).filter((i) => i.eligibility);
    return { status: 200, resource: { total: insurers.length, registries: await Promise.all(insurers.map((i) => view(i, deps, req.language))) } };
  }));

  router.get('/admin/registries/:id', route(async (req) => ({ status: 200, resource: await view(await insurer(req.params.id!), deps, req.language) })));

  router.post('/admin/registries/:id/$sync', route(async (req) => {
    const found = await insurer(req.params.id!);
    if (found.eligibility?.mode !== 'synced' || !found.eligibility.syncIntervalMinutes) {
      throw gatewayError('participant-invalid', { en: `${found.name} has no incremental sync (eligibility.mode "synced" with syncIntervalMinutes)`, fr: `${found.name} n'a pas de synchronisation incrémentale (eligibility.mode "synced" avec syncIntervalMinutes)` }, 'eligibility');
    }
    const job = await deps.syncQueue().add('sync-registry', { insurerId: found.id }, { jobId: `sync-${found.id}-now-${Date.now()}` });
    return { status: 202, resource: { insurer: found.id, job: job.id } };
  }));

  return router;
}

async function view(insurer: Participant, deps: RegistryAdminDeps, language: Language) {
  const eligibility = insurer.eligibility;
  const synced = eligibility?.mode === 'synced';
  return {
    insurer: insurer.id, name: insurer.name, mode: eligibility?.mode ?? null, policy: eligibility?.policy ?? null, memberSystem: eligibility?.memberSystem ?? null,
    ...(synced ? {
      coverages: await deps.members.counts(insurer.id),
      imports: (await deps.members.recentImports(insurer.id)).map((i) => importInLanguage(i, language)),
      sync: { intervalMinutes: eligibility.syncIntervalMinutes ?? null, ...syncView(await deps.members.syncState(insurer.id)) },
    } : {}),
    ...(eligibility?.mode === 'live' ? { circuit: deps.live.circuitState(insurer.id) } : {}),
  };
}

function syncView(state: Awaited<ReturnType<MemberStore['syncState']>>) {
  return { cursor: state.cursor?.toISOString() ?? null, lastRunAt: state.lastRunAt?.toISOString() ?? null, lastPulled: state.lastPulled, lastError: state.lastError ?? null };
}
