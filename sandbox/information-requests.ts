// Information requests, as a real insurer's medical officer makes them: a large claim with no document
// attached is held, and the insurer asks the provider for the medical report (a CommunicationRequest
// posted to the gateway). When the provider's Communication with an attachment arrives, the held
// answer follows after the usual pend delay. The rule is in docs/sandbox.md.
import type { Claim, Communication, CommunicationRequest } from '@medplum/fhirtypes';
import { claimTotal } from './claim-amounts.js';
import type { SandboxContext } from './context.js';
import { errorIssue, outcomeAnswer, unprocessable, type FhirAnswer } from './outcomes.js';
import type { InsurerSeed } from './seed.js';

/** FHIR's communication categories. */
const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/communication-category';

/** Whether the insurer asks for the medical report before it adjudicates this (pended) claim. */
export function needsInformation(insurer: InsurerSeed, claim: Claim): boolean {
  if (insurer.informationThreshold === undefined || (claim.use ?? 'claim') !== 'claim') return false;
  const documented = (claim.supportingInfo ?? []).some((info) => Boolean(info.valueAttachment));
  return !documented && claimTotal(claim) > insurer.informationThreshold;
}

/** The insurer's request for the medical report of a claim (in French and English, as its officers write). */
export function informationRequest(ctx: SandboxContext, insurer: InsurerSeed, claimId: string): CommunicationRequest {
  const id = ctx.newId();
  return {
    resourceType: 'CommunicationRequest',
    id,
    identifier: [{ system: `urn:passerelle:${insurer.id}:information-request`, value: id }],
    status: 'active',
    category: [{ coding: [{ system: CATEGORY_SYSTEM, code: 'instruction' }] }],
    priority: 'routine',
    about: [{ reference: `Claim/${claimId}` }],
    authoredOn: ctx.now().toISOString(),
    reasonCode: [{ text: `Total above ${insurer.informationThreshold ?? 0} XOF without a document attached` }],
    payload: [{
      contentString: 'Veuillez joindre le compte rendu médical (PDF) pour cette demande de remboursement. '
        + 'Please attach the medical report (PDF) for this claim.',
    }],
  };
}

/**
 * POST Communication: a provider's answer, through the gateway. Kept (searchable by claim); when it
 * carries an attachment and the claim it is about is held for information, the claim's answer follows.
 */
export function receiveCommunication(ctx: SandboxContext, insurer: InsurerSeed, body: unknown): FhirAnswer {
  const communication = body as Communication | undefined;
  if (communication?.resourceType !== 'Communication') {
    return unprocessable([errorIssue('invalid', 'Expected a Communication.', 'resourceType')]);
  }
  const claimIds = (communication.about ?? [])
    .map((ref) => /(?:^|\/)Claim\/([A-Za-z0-9\-.]{1,64})$/.exec(ref?.reference ?? '')?.[1])
    .filter((id): id is string => Boolean(id));
  if (claimIds.length === 0) {
    return unprocessable([errorIssue('required', 'Communication.about must reference the claim: Claim/{id}.', 'Communication.about')]);
  }
  const attached = (communication.payload ?? []).some((p) => Boolean(p.contentAttachment?.data || p.contentAttachment?.url));
  for (const claimId of claimIds) {
    ctx.answers.recordCommunication(insurer.id, claimId, communication);
    if (attached) ctx.pended.release(insurer.id, claimId);
  }
  ctx.logger.info({ insurerId: insurer.id, claims: claimIds, attached }, 'communication received');
  return { status: 201, body: communication };
}

/** GET Communication?about=Claim/{id}: what providers sent about a claim, as a searchset. */
export function communicationSearch(ctx: SandboxContext, insurer: InsurerSeed, about: unknown): FhirAnswer {
  const claimId = typeof about === 'string' ? /^(?:.*\/)?Claim\/([^/]+)$/.exec(about)?.[1] : undefined;
  if (!claimId) {
    return outcomeAnswer(400, [errorIssue('required', 'Search Communication by about=Claim/{id}', 'about')]);
  }
  const found = ctx.answers.communications(insurer.id, claimId);
  return {
    status: 200,
    body: { resourceType: 'Bundle', type: 'searchset', total: found.length, entry: found.map((resource) => ({ resource, search: { mode: 'match' } })) },
  };
}
