/**
 * The operator API (/admin, admin scope): dead letters listed, inspected and replayed one by one or in
 * bulk, and any claim inspected with its timeline and responses. Answers are plain JSON for tools (the
 * `passerelle dead-letters` CLI, the console); errors are OperationOutcomes like everywhere else.
 */
import express from 'express';
import { ADMIN_SCOPE, PHI_SCOPE } from '../auth/tokens.js';
import { fhirRoute, type FhirAnswer, type FhirRequest } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError, notFound } from '../fhir/outcomes.js';
import type { ClaimRepository, ClaimRecord, ResponseRecord } from '../claims/claim-repository.js';
import { ClaimService } from '../claims/claim-service.js';

export interface OperationsDeps {
  readonly service: ClaimService;
  readonly claims: ClaimRepository;
  readonly idempotency: IdempotencyStore;
  readonly publicBaseUrl?: string;
}

const MAX_PAGE = 500;

/** A claim as operators list it: ids, routing and delivery facts, no patient data. */
export function claimSummary(claim: ClaimRecord) {
  return {
    id: claim.id, provider: claim.providerId, insurer: claim.insurerId,
    identifier: { system: claim.identifierSystem, value: claim.identifierValue },
    status: claim.status, attempts: claim.attempts, replays: claim.replays, lastError: claim.lastError ?? null,
    stuckSince: claim.stuckSince?.toISOString() ?? null,
    purgedAt: claim.purgedAt?.toISOString() ?? null,
    createdAt: claim.createdAt.toISOString(), updatedAt: claim.updatedAt.toISOString(),
  };
}

/**
 * The validation warnings the gateway accepted the claim with (the contained OperationOutcome of its
 * queued answer): rule, severity and FHIRPath only, never the message, which may quote patient data.
 */
function validationIssues(responses: readonly ResponseRecord[]) {
  const queued = responses.find((r) => r.source === 'gateway')?.resource;
  const outcome = queued?.contained?.find((c) => c.resourceType === 'OperationOutcome' && c.id === 'validation');
  if (!outcome || outcome.resourceType !== 'OperationOutcome') return [];
  return outcome.issue.map((i) => ({
    severity: i.severity, code: i.code, rule: i.details?.coding?.[0]?.code ?? null, expression: i.expression ?? [],
  }));
}

export function pageOf(query: Readonly<Record<string, unknown>>): { limit: number; offset: number } {
  const number = (name: string, fallback: number, max: number) => {
    const raw = query[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > max) throw gatewayError('search-parameter', { en: `${name} must be a whole number from 0 to ${max}`, fr: `${name} doit être un nombre entier de 0 à ${max}` });
    return value;
  };
  return { limit: Math.max(1, number('_count', 50, MAX_PAGE)), offset: number('_offset', 0, 1_000_000) };
}

/** Claim ids from a bulk replay body: { "claims": [...] } or { "all": true, "insurer"?: id }. */
async function replayTargets(body: Record<string, unknown>, service: ClaimService): Promise<string[]> {
  if (Array.isArray(body.claims) && body.claims.every((c) => typeof c === 'string') && body.claims.length <= MAX_PAGE) {
    return body.claims as string[];
  }
  if (body.all === true && (body.insurer === undefined || typeof body.insurer === 'string')) {
    const { claims } = await service.deadLetters({ insurerId: body.insurer as string | undefined, limit: MAX_PAGE, offset: 0 });
    return claims.map((c) => c.id);
  }
  throw gatewayError('search-parameter', { en: `Give {"claims": [ids…]} (at most ${MAX_PAGE}) or {"all": true, "insurer"?: "<insurer id>"}`, fr: `Donnez {"claims": [ids…]} (au plus ${MAX_PAGE}) ou {"all": true, "insurer"?: "<id de l'assureur>"}` });
}

/** The operator router (mounted after authentication). */
export function operationsRouter(deps: OperationsDeps, body: express.RequestHandler[]): express.Router {
  const router = express.Router();
  const route = (handler: (req: FhirRequest) => Promise<FhirAnswer>, idempotent = false) =>
    fhirRoute(handler, { scope: ADMIN_SCOPE, idempotent, json: true }, deps);

  router.get('/admin/dead-letters', route(async (req) => {
    const insurer = typeof req.query.insurer === 'string' ? req.query.insurer : undefined;
    const page = pageOf(req.query);
    const { total, claims } = await deps.service.deadLetters({ insurerId: insurer, ...page });
    return { status: 200, resource: { total, ...page, claims: claims.map(claimSummary) } };
  }));

  router.get('/admin/stuck-claims', route(async (req) => {
    const insurer = typeof req.query.insurer === 'string' ? req.query.insurer : undefined;
    const page = pageOf(req.query);
    const { total, claims } = await deps.service.stuckClaims({ insurerId: insurer, ...page });
    return { status: 200, resource: { total, ...page, claims: claims.map(claimSummary) } };
  }));

  router.get('/admin/claims/:id', route(async (req) => {
    const claim = await deps.claims.get(req.params.id!);
    if (!claim) throw notFound('Claim', req.params.id!);
    const [events, responses] = await Promise.all([deps.claims.events(claim.id), deps.claims.responses(claim.id)]);
    // Patient data (the claim and the answers as exchanged) only for operators holding the PHI scope.
    const phi = req.caller.scopes.has(PHI_SCOPE);
    return {
      status: 200,
      resource: {
        ...claimSummary(claim),
        phi,
        claim: phi && claim.bundle ? ClaimService.claimResource(claim) : null,
        bundle: phi ? claim.bundle : null,
        events: events.map((e) => ({ status: e.status, at: new Date(e.at).toISOString(), detail: e.detail })),
        validationIssues: validationIssues(responses),
        responses: responses.map((r) => ({
          id: r.id, source: r.source, outcome: r.outcome, createdAt: r.createdAt.toISOString(), resource: phi ? r.resource : null,
        })),
      },
    };
  }));

  router.post('/admin/claims/:id/replay', route(async (req) => {
    const claim = await deps.claims.get(req.params.id!);
    if (!claim) throw notFound('Claim', req.params.id!);
    const [replayed] = await deps.service.replay([claim.id], req.caller.participantId);
    if (!replayed) throw gatewayError('not-dead-letter', { en: `Claim/${claim.id} is ${claim.status}, not a dead letter: only failed claims are replayed`, fr: `Claim/${claim.id} est ${claim.status}, pas une lettre morte : seules les demandes en échec sont rejouées` });
    return { status: 200, resource: claimSummary(replayed) };
  }, true));

  router.post('/admin/dead-letters/replay', body, route(async (req) => {
    const replayed = await deps.service.replay(await replayTargets(req.body, deps.service), req.caller.participantId);
    return { status: 200, resource: { replayed: replayed.length, claims: replayed.map(claimSummary) } };
  }, true));

  return router;
}
