/**
 * The message event table of POST /fhir/$process-message: for each event a participant may send, who
 * sends it, the resource its MessageHeader.focus must be, the scope it needs (that of the same
 * interaction as a direct REST call), and the event of the response message. The codes are NPHIES's
 * (its message events code system is accepted as well as the gateway's own), so an NPHIES client
 * needs no new vocabulary. docs/lifecycle.md carries the same table.
 */

/** The gateway's message event code system. */
export const MESSAGE_EVENT_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/message-event';
/** NPHIES's message event code system, accepted for the same codes. */
export const NPHIES_MESSAGE_EVENT_SYSTEM = 'http://nphies.sa/terminology/CodeSystem/ksa-message-events';

export interface MessageEvent {
  readonly sender: 'provider' | 'insurer' | 'participant';
  /** The focus's resource type. */
  readonly focus: string;
  /** For a Claim focus, its use; for a Task focus, its financial task code. */
  readonly kind?: string;
  readonly scope?: string;
  /** The response message's event. */
  readonly response: string;
}

export const MESSAGE_EVENTS = {
  'eligibility-request': { sender: 'provider', focus: 'CoverageEligibilityRequest', scope: 'system/CoverageEligibilityRequest.write', response: 'eligibility-response' },
  'claim-request': { sender: 'provider', focus: 'Claim', kind: 'claim', scope: 'system/Claim.write', response: 'claim-response' },
  'priorauth-request': { sender: 'provider', focus: 'Claim', kind: 'preauthorization', scope: 'system/Claim.write', response: 'priorauth-response' },
  'predetermination-request': { sender: 'provider', focus: 'Claim', kind: 'predetermination', scope: 'system/Claim.write', response: 'predetermination-response' },
  'status-check': { sender: 'provider', focus: 'Task', kind: 'status', scope: 'system/Task.write', response: 'status-check-response' },
  'cancel-request': { sender: 'provider', focus: 'Task', kind: 'cancel', scope: 'system/Task.write', response: 'cancel-response' },
  'poll-request': { sender: 'participant', focus: 'Task', kind: 'poll', response: 'poll-response' },
  'communication': { sender: 'provider', focus: 'Communication', scope: 'system/Communication.write', response: 'acknowledgement' },
  'communication-request': { sender: 'insurer', focus: 'CommunicationRequest', scope: 'system/CommunicationRequest.write', response: 'acknowledgement' },
  'claim-response': { sender: 'insurer', focus: 'ClaimResponse', scope: 'system/ClaimResponse.write', response: 'acknowledgement' },
  'payment-reconciliation': { sender: 'insurer', focus: 'PaymentReconciliation', scope: 'system/PaymentReconciliation.write', response: 'acknowledgement' },
  'payment-notice': { sender: 'insurer', focus: 'PaymentNotice', scope: 'system/PaymentNotice.write', response: 'acknowledgement' },
} as const satisfies Record<string, MessageEvent>;

export type MessageEventCode = keyof typeof MESSAGE_EVENTS;

export function isMessageEvent(code: unknown): code is MessageEventCode {
  return typeof code === 'string' && Object.hasOwn(MESSAGE_EVENTS, code);
}
