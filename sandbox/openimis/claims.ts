// The openIMIS face's claim operations, without HTTP: enter a Claim, search Claims by code, read a
// ClaimResponse. Each answers a status and a resource; routes.ts writes them.
import type { Bundle, Claim, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { SandboxContext } from '../context.js';
import { errorIssue, notFound, outcomeAnswer, type FhirAnswer } from '../outcomes.js';
import type { OpenImisInsurer } from './auth.js';
import { readClaim } from './claim-input.js';
import { openImisClaimResponse } from './claim-response.js';
import { claimState } from './claim-status.js';
import { openImisOrder, type StoredClaim } from './claim-store.js';
import { typedIdentifier } from './references.js';

function responseAnswer(ctx: SandboxContext, insurer: OpenImisInsurer, claim: StoredClaim, status = 200, headers?: Record<string, string>): FhirAnswer {
  const now = ctx.now();
  const state = claimState(ctx.registry, insurer, claim, now, insurer.openimis.stepMs);
  return { status, body: openImisClaimResponse(claim, state, insurer, now), ...(headers ? { headers } : {}) };
}

/**
 * POST Claim/: checks the Claim (every problem at once, 400), then enters it and answers 201 with its
 * ClaimResponse and a Location `<baseUrl>/ClaimResponse/<uuid>/`.
 */
export function enterClaim(ctx: SandboxContext, insurer: OpenImisInsurer, body: unknown, baseUrl: string): FhirAnswer {
  const reading = readClaim(body);
  const issues: OperationOutcomeIssue[] = [...reading.issues];
  if (reading.chfId !== undefined && !ctx.registry.findMember(insurer, reading.chfId)) {
    issues.push(errorIssue('not-found', `Insuree ${reading.chfId} not found`, 'Claim.patient'));
  }
  const { code, healthFacilityCode } = reading;
  if (code !== undefined && healthFacilityCode !== undefined && ctx.openimis.claims.withCode(insurer.id, code, healthFacilityCode).length > 0) {
    issues.push(errorIssue('duplicate', `Claim code ${code} already exists for this health facility`, 'Claim.identifier'));
  }
  if (issues.length > 0 || !reading.claim) {
    return outcomeAnswer(400, issues);
  }
  const claim: StoredClaim = {
    uuid: ctx.newId(),
    insurerId: insurer.id,
    submitted: reading.claim,
    enteredAt: ctx.now().getTime(),
    lines: openImisOrder(reading.claim.lines),
  };
  ctx.openimis.claims.add(claim);
  ctx.logger.info({ insurer: insurer.id, claim: claim.uuid }, 'openIMIS claim entered');
  return responseAnswer(ctx, insurer, claim, 201, { Location: `${baseUrl}/ClaimResponse/${claim.uuid}/` });
}

/** A stored claim as a Claim resource: the one received, with openIMIS's id, identifiers and status. */
function claimResource(claim: StoredClaim): Claim {
  return {
    ...claim.submitted.resource,
    id: claim.uuid,
    identifier: [typedIdentifier('UUID', claim.uuid), typedIdentifier('Code', claim.submitted.code)],
    status: 'active',
  };
}

/**
 * GET Claim/?identifier=<code>: a searchset of the insurer's claims with that code (a `system|` part
 * is ignored); without the parameter, every claim of the insurer.
 */
export function searchClaims(ctx: SandboxContext, insurer: OpenImisInsurer, identifier: unknown, baseUrl: string): FhirAnswer {
  if (identifier !== undefined && typeof identifier !== 'string') {
    return outcomeAnswer(400, [errorIssue('invalid', 'Give identifier once, as a claim code.', 'identifier')]);
  }
  const code = identifier?.slice(identifier.lastIndexOf('|') + 1);
  const claims = code === undefined ? ctx.openimis.claims.all(insurer.id) : ctx.openimis.claims.withCode(insurer.id, code);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: claims.length,
    entry: claims.map((c) => ({ fullUrl: `${baseUrl}/Claim/${c.uuid}`, resource: claimResource(c), search: { mode: 'match' } })),
  };
  return { status: 200, body: bundle };
}

/** GET ClaimResponse/<uuid>/: the claim's ClaimResponse in its current state, or 404. */
export function readClaimResponse(ctx: SandboxContext, insurer: OpenImisInsurer, uuid: string): FhirAnswer {
  const claim = ctx.openimis.claims.get(insurer.id, uuid);
  return claim ? responseAnswer(ctx, insurer, claim) : notFound(`ClaimResponse ${uuid} not found.`);
}
