/**
 * The processing states of a claim in the gateway, and how an insurer's ClaimResponse outcome moves it.
 *
 *   accepted ──▶ queued ──▶ pended ──▶ complete | partial | error
 *                   │          ▲
 *                   ├──────────┴──────▶ complete | partial | error   (insurer answered at once)
 *                   └─▶ failed   (delivery retries exhausted: a dead letter, see docs/architecture.md)
 *
 *   accepted, queued, failed, or pended when the insurer agrees ──▶ cancelled   (the provider's cancel Task)
 */
export type ClaimStatus = 'accepted' | 'queued' | 'pended' | 'complete' | 'partial' | 'error' | 'failed' | 'cancelled';

/** States in which the provider may still cancel the claim without its insurer (it has not taken it). */
export const CANCELLABLE_HERE: ReadonlySet<ClaimStatus> = new Set(['accepted', 'queued', 'failed']);

/** States in which the claim still has to be delivered to its insurer. */
export const DELIVERABLE: ReadonlySet<ClaimStatus> = new Set(['accepted', 'queued']);

/** The claim status an insurer ClaimResponse outcome leads to. */
export function statusForOutcome(outcome: string | undefined): ClaimStatus {
  switch (outcome) {
    case 'complete':
      return 'complete';
    case 'partial':
      return 'partial';
    case 'error':
      return 'error';
    default:
      return 'pended'; // "queued": the insurer took the claim and will answer later
  }
}

/** Code system of those states (Task.businessStatus of a status Task; docs/lifecycle.md). */
export const PROCESSING_STATUS_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/claim-processing-status';

/** Extension on the Claim the gateway serves, carrying its processing status. */
export const PROCESSING_STATUS_EXTENSION = 'https://fhir.passerelle.sn/StructureDefinition/claim-processing-status';

/** Extension on a Claim the gateway serves once a corrected claim replaced it: a reference to that claim. */
export const REPLACED_BY_EXTENSION = 'https://fhir.passerelle.sn/StructureDefinition/claim-replaced-by';

/** Extension on the Claim the gateway serves while it is stuck: since when it waits past its insurer's deadline. */
export const STUCK_SINCE_EXTENSION = 'https://fhir.passerelle.sn/StructureDefinition/claim-stuck-since';

/** Extension on a provider's original claim naming each follow-on claim sent to a later payer (coordination of benefits), in payer order. */
export const COORDINATION_FOLLOW_ON_EXTENSION = 'https://fhir.passerelle.sn/StructureDefinition/claim-coordination-follow-on';

/** Extension on a follow-on claim naming the provider's original claim it coordinates (docs/lifecycle.md). */
export const COORDINATION_ORIGINAL_EXTENSION = 'https://fhir.passerelle.sn/StructureDefinition/claim-coordination-original';
