/**
 * Registry administration for operators (admin scope): participants (FHIR Organization and Endpoints)
 * created, updated, suspended and reactivated; their OAuth clients registered (keys for
 * private_key_jwt) and disabled; an insurer's adapter, delivery limits and profile pack set. Bodies are
 * checked strictly (participant-schema.ts): server-owned fields are refused, so mass assignment is
 * impossible. Secrets are never returned.
 */
import type { InsurerRegistration } from '../../mappings/index.js';
import type { PackScheduleEntry } from '../validation/packs.js';
import express from 'express';
import type { z } from 'zod';
import { ADMIN_SCOPE, defaultScopes, SCOPES_BY_KIND } from '../auth/tokens.js';
import type { ClientRecord, ClientRegistration, ClientStore } from '../auth/clients.js';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError, invalid, issue, notFound } from '../fhir/outcomes.js';
import type { Participant, ParticipantRegistry } from '../participants/registry.js';
import { clientSchema, newParticipantSchema, participantUpdateSchema, problemsOf } from '../participants/participant-schema.js';

export interface ParticipantAdminDeps {
  readonly registry: ParticipantRegistry;
  readonly clients: ClientStore;
  readonly idempotency: IdempotencyStore;
  /** Throws when the adapter is unknown, its settings wrong, or it cannot serve the eligibility settings. */
  readonly checkAdapter: (registration: InsurerRegistration) => void;
  /** Throws when a profile pack schedule names a pack version the gateway does not publish. */
  readonly checkPacks: (schedule: readonly PackScheduleEntry[]) => void;
  readonly clientSecretsEnabled: boolean;
  readonly publicBaseUrl?: string;
}

/** A participant as operators see it: everything but secrets. */
function view(p: Participant, clients: ClientRecord[]) {
  return {
    id: p.id, kind: p.kind, name: p.name, status: p.status, organization: p.organization, endpoints: p.endpoints,
    adapter: p.adapter ?? null, adapterSettings: p.adapterSettings, delivery: p.delivery, profilePacks: p.profilePacks, eligibility: p.eligibility ?? null,
    callbackUrl: p.callbackUrl ?? null, hasCallbackSecret: Boolean(p.callbackSecret),
    clients: clients.map((c) => ({
      clientId: c.clientId, active: c.active, scopes: c.scopes, hasSecret: c.hasSecret, jwksUrl: c.jwksUrl ?? null,
      keys: c.jwks?.keys.map((k) => k.kid ?? null) ?? [],
    })),
    createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
  };
}

/** Parses a body with a strict schema; a 422 listing every problem (unknown fields included) otherwise. */
function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw invalid(problemsOf(parsed.error).map((p) => issue({ error: 'participant-invalid', message: { en: `${p.path || 'body'}: ${p.message}`, fr: `${p.path || 'corps'} : ${p.message} (message du schéma, en anglais)` }, expression: p.path || undefined })));
  }
  return parsed.data;
}

function checkAdapter(deps: ParticipantAdminDeps, registration: InsurerRegistration): void {
  try {
    deps.checkAdapter(registration);
  } catch (err) {
    throw gatewayError('participant-invalid', { en: (err as Error).message, fr: `L'adaptateur refuse ces réglages : ${(err as Error).message}` }, 'adapterSettings');
  }
}

function checkPacks(deps: ParticipantAdminDeps, schedule: readonly PackScheduleEntry[] | undefined): void {
  try {
    deps.checkPacks(schedule ?? []);
  } catch (err) {
    throw gatewayError('participant-invalid', { en: (err as Error).message, fr: `Calendrier de packs refusé : ${(err as Error).message}` }, 'profilePacks');
  }
}

/** The registry administration router (mounted after authentication). */
export function participantsRouter(deps: ParticipantAdminDeps, body: express.RequestHandler[]): express.Router {
  const router = express.Router();
  const route = (handler: (req: FhirRequest) => Promise<FhirAnswer>, idempotent = false) => fhirRoute(handler, { scope: ADMIN_SCOPE, idempotent, json: true }, deps);
  const found = async (id: string) => {
    const participant = await deps.registry.get(id);
    if (!participant) throw notFound('Organization', id);
    return participant;
  };
  const answer = async (status: number, id: string, req: FhirRequest): Promise<FhirAnswer> => {
    const participant = await deps.registry.get(id);
    return { status, resource: view(participant!, await deps.clients.ofParticipant(id)), location: `${req.baseUrl}/admin/participants/${id}` };
  };

  router.get('/admin/participants', route(async () => {
    const all = await deps.registry.list();
    return { status: 200, resource: { total: all.length, participants: await Promise.all(all.map(async (p) => view(p, await deps.clients.ofParticipant(p.id)))) } };
  }));

  router.get('/admin/participants/:id', route(async (req) => answer(200, (await found(req.params.id!)).id, req)));

  router.post('/admin/participants', body, route(async (req) => {
    const input = parse(newParticipantSchema, req.body);
    if (await deps.registry.get(input.id)) throw gatewayError('participant-exists', { en: `Participant ${input.id} already exists: update it with PUT /admin/participants/${input.id}`, fr: `Le participant ${input.id} existe déjà : modifiez-le avec PUT /admin/participants/${input.id}` });
    if (input.kind === 'insurer') checkAdapter(deps, input);
    checkPacks(deps, input.profilePacks);
    await deps.registry.upsert({ ...input, status: 'active' });
    return answer(201, input.id, req);
  }, true));

  router.put('/admin/participants/:id', body, route(async (req) => {
    const existing = await found(req.params.id!);
    const input = parse(participantUpdateSchema, req.body);
    if (existing.kind === 'insurer') checkAdapter(deps, input);
    if (existing.kind !== 'insurer' && input.eligibility) throw gatewayError('participant-invalid', { en: 'only an insurer has eligibility settings', fr: 'seul un assureur a des réglages d\'éligibilité' }, 'eligibility');
    checkPacks(deps, input.profilePacks);
    if (input.callbackUrl && !input.callbackSecret) throw gatewayError('participant-invalid', { en: 'a callbackUrl needs a callbackSecret to sign pushes', fr: 'une callbackUrl demande un callbackSecret pour signer les envois' }, 'callbackSecret');
    await deps.registry.upsert({ ...input, id: existing.id, kind: existing.kind, status: existing.status });
    return answer(200, existing.id, req);
  }, true));

  for (const [operation, status] of [['$suspend', 'suspended'], ['$reactivate', 'active']] as const) {
    router.post(`/admin/participants/:id/${operation}`, route(async (req) => {
      const participant = await found(req.params.id!);
      await deps.registry.setStatus(participant.id, status);
      return answer(200, participant.id, req);
    }, true));
  }

  router.post('/admin/participants/:id/clients', body, route(async (req) => {
    const participant = await found(req.params.id!);
    const client = parse(clientSchema, req.body);
    if (client.secret && !deps.clientSecretsEnabled) throw gatewayError('participant-invalid', { en: 'Client secrets are disabled on this gateway: register keys (jwks or jwksUrl)', fr: 'Les secrets clients sont désactivés sur cette passerelle : enregistrez des clés (jwks ou jwksUrl)' }, 'secret');
    const other = await deps.clients.find(client.clientId);
    if (other && other.participantId !== participant.id) throw gatewayError('participant-exists', { en: `Client ${client.clientId} belongs to another participant`, fr: `Le client ${client.clientId} appartient à un autre participant` });
    // Patient data is never granted by default: an operator client gets admin:phi only when asked for.
    const scopes = (client.scopes ?? defaultScopes(participant.kind)).filter((s) => SCOPES_BY_KIND[participant.kind].includes(s));
    await deps.clients.register({ ...client, jwks: client.jwks as ClientRegistration['jwks'], participantId: participant.id, scopes });
    return answer(201, participant.id, req);
  }, true));

  router.delete('/admin/participants/:id/clients/:clientId', route(async (req) => {
    const participant = await found(req.params.id!);
    if (!(await deps.clients.disable(participant.id, req.params.clientId!))) throw notFound('Client', req.params.clientId!);
    return answer(200, participant.id, req);
  }));

  return router;
}
