// The two $submit operations without HTTP: read the body, find the member, apply the rules.
// The routes add what is about transport (faults, idempotency, content type, stats).
import { inBothLanguages } from './texts.js';
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { adjudicateClaim, decideClaim, type AdjudicationInput } from './adjudication.js';
import { findMemberIdentifier } from './bundle-references.js';
import { focalInsurance, readClaimBundle } from './claim-bundle.js';
import { earlierPayments } from './claim-amounts.js';
import type { SandboxContext } from './context.js';
import { evaluateEligibility, readEligibilityBody } from './eligibility.js';
import { unprocessable, type FhirAnswer } from './outcomes.js';
import type { InsurerSeed } from './seed.js';
import { informationRequest, needsInformation } from './information-requests.js';

/**
 * Claim/$submit: a final ClaimResponse, or a "queued" one for a pended claim whose final answer is
 * scheduled for delivery to the gateway.
 */
export function submitClaim(ctx: SandboxContext, insurer: InsurerSeed, body: unknown): FhirAnswer {
  const read = readClaimBundle(body);
  if ('issues' in read) {
    return unprocessable(read.issues);
  }
  withdrawReplaced(ctx, insurer, read.claim);
  const input = adjudicationInput(ctx, insurer, read.bundle, read.claim);
  const decision = decideClaim(input);
  if (read.claim.id) ctx.answers.record(insurer.id, read.claim.id, decision.response);
  if (decision.pended) {
    const later = {
      insurerId: insurer.id,
      claimId: read.claim.id ?? '',
      // Same response id as the queued answer: the final answer completes that response.
      adjudicate: () => adjudicateClaim({ ...input, now: ctx.now() }),
    };
    // A large claim without its medical report waits for it (information-requests.ts).
    if (read.claim.id && needsInformation(insurer, read.claim)) ctx.pended.hold(later, informationRequest(ctx, insurer, read.claim.id));
    else ctx.pended.schedule(later);
  }
  return { status: 200, body: decision.response };
}

/**
 * A corrected claim (related entry with relationship "replaces" naming Claim/{id}) replaces the earlier
 * one: an answer still being prepared for it is withdrawn, and its latest answer becomes cancelled.
 */
function withdrawReplaced(ctx: SandboxContext, insurer: InsurerSeed, claim: Claim): void {
  for (const related of claim.related ?? []) {
    if (!related.relationship?.coding?.some((c) => c.code === 'replaces')) continue;
    const replacedId = /(?:^|\/)Claim\/([A-Za-z0-9\-.]{1,64})$/.exec(related.claim?.reference ?? '')?.[1];
    const latest = replacedId ? ctx.answers.latest(insurer.id, replacedId) : undefined;
    if (!replacedId || !latest) continue;
    ctx.pended.cancel(insurer.id, replacedId);
    ctx.answers.record(insurer.id, replacedId, { ...latest, status: 'cancelled', ...inBothLanguages('disposition', { en: `Replaced by the corrected claim ${claim.id ?? ''}.`, fr: `Remplacée par la demande corrigée ${claim.id ?? ''}.` }) });
  }
}

function adjudicationInput(
  ctx: SandboxContext,
  insurer: InsurerSeed,
  bundle: Bundle,
  claim: Claim,
): AdjudicationInput {
  // The focal entry is this insurer's (the first when none is marked): a later payer's claim has it focal.
  const focal = focalInsurance(claim);
  const refs = { coverage: focal?.coverage, patient: claim.patient };
  const memberIdentifier = findMemberIdentifier(bundle, refs, insurer.memberSystem);
  const member = memberIdentifier ? ctx.registry.findMember(insurer, memberIdentifier.value) : undefined;
  const now = ctx.now();
  const day = now.toISOString().slice(0, 10);
  const preAuthorised = claim.use !== 'preauthorization'
    && (focal?.preAuthRef ?? []).some((ref) => typeof ref === 'string' && ctx.answers.preAuthorised(insurer.id, ref, day));
  return { claim, insurer, memberIdentifier, member, now, responseId: ctx.newId(), preAuthorised, earlier: earlierPayments(bundle, claim) };
}

/** CoverageEligibilityRequest/$submit: a CoverageEligibilityResponse for the member. */
export function checkEligibility(ctx: SandboxContext, insurer: InsurerSeed, body: unknown): FhirAnswer {
  const read = readEligibilityBody(body);
  if ('issues' in read) {
    return unprocessable(read.issues);
  }
  const { request, bundle } = read;
  const refs = { coverage: request.insurance?.[0]?.coverage, patient: request.patient };
  const memberIdentifier = findMemberIdentifier(bundle, refs, insurer.memberSystem);
  const member = memberIdentifier ? ctx.registry.findMember(insurer, memberIdentifier.value) : undefined;
  const response = evaluateEligibility({ ...read, insurer, memberIdentifier, member, now: ctx.now(), responseId: ctx.newId() });
  return { status: 200, body: response };
}
