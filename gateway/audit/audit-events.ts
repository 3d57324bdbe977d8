/**
 * FHIR AuditEvents after the IHE Basic Audit Log Patterns (BALP): who (participant and OAuth client),
 * what (interaction, entity), when, from where (network address), and the outcome. Built from ids only;
 * never a bundle, a name or a member number.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
export const STATE_CHANGE_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/claim-status-change';

/** What an access was. */
export interface AccessFacts {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly participantId?: string;
  readonly clientId?: string;
  readonly address?: string;
  readonly entity?: string;
  readonly query?: string;
}

/** AuditEvent.outcome from an HTTP status: 0 success, 4 minor failure (refused), 8 serious failure. */
export function outcomeOf(status: number): '0' | '4' | '8' {
  return status < 400 ? '0' : status < 500 ? '4' : '8';
}

/** FHIR interaction and action of a request, for BALP's RESTful pattern. */
function interaction(method: string, path: string, entity?: string): { code: string; action: 'C' | 'R' | 'U' | 'D' | 'E' } {
  if (path.includes('$')) return { code: 'operation', action: 'E' };
  if (method === 'GET') return { code: entity && /\/[^/]+\/[^/]+$/.test(path) ? 'read' : 'search-type', action: 'R' };
  if (method === 'POST') return { code: 'create', action: 'C' };
  return { code: method.toLowerCase(), action: 'E' };
}

function agent(participantId: string | undefined, clientId: string | undefined, address: string | undefined): AuditEvent['agent'][number] {
  return {
    type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] }, // BALP: the requesting client
    who: participantId ? { identifier: { system: PARTICIPANT_SYSTEM, value: participantId } } : { display: 'unauthenticated' },
    ...(clientId ? { altId: clientId } : {}),
    requestor: true,
    ...(address ? { network: { address, type: '2' as const } } : {}),
  };
}

const source: AuditEvent['source'] = {
  observer: { display: 'Passerelle gateway' },
  type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
};

/** A login (a token request, or an operator console login: gateway/console/router.ts) or a console logout. */
export function authentication(facts: Pick<AccessFacts, 'method' | 'path'>): 'login' | 'logout' | undefined {
  if (facts.path === '/auth/token' || (facts.path === '/console/session' && facts.method === 'POST')) return 'login';
  return facts.path === '/console/session' && facts.method === 'DELETE' ? 'logout' : undefined;
}

/** An access to the API (BALP RESTful pattern), or a login or logout (authentication). */
export function accessEvent(facts: AccessFacts, now = new Date()): AuditEvent & { id: string } {
  const kind = authentication(facts);
  const { code, action } = interaction(facts.method, facts.path, facts.entity);
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: kind
      ? { system: DCM, code: '110114', display: 'User Authentication' }
      : { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: kind === 'login' ? [{ system: DCM, code: '110122', display: 'Login' }]
      : kind === 'logout' ? [{ system: DCM, code: '110123', display: 'Logout' }]
        : [{ system: 'http://hl7.org/fhir/restful-interaction', code }],
    action: kind ? 'E' : action,
    recorded: now.toISOString(),
    outcome: outcomeOf(facts.status),
    outcomeDesc: `${facts.method} ${facts.path} answered ${facts.status}`,
    agent: [agent(facts.participantId, facts.clientId, facts.address)],
    source,
    entity: facts.entity || facts.query
      ? [{ ...(facts.entity ? { what: { reference: facts.entity } } : {}), type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' }, ...(facts.query ? { query: Buffer.from(facts.query).toString('base64') } : {}) }]
      : undefined,
  };
}

/** A claim state change, recorded by the gateway itself. */
export function stateEvent(claimId: string, status: string, now = new Date()): AuditEvent & { id: string } {
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: { system: DCM, code: '110100', display: 'Application Activity' },
    subtype: [{ system: STATE_CHANGE_SYSTEM, code: status }],
    action: 'U',
    recorded: now.toISOString(),
    outcome: '0',
    outcomeDesc: `Claim/${claimId} is now ${status}`,
    agent: [{ type: { text: 'gateway' }, who: { display: 'Passerelle gateway' }, requestor: false }],
    source,
    entity: [{ what: { reference: `Claim/${claimId}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' } }],
  };
}
