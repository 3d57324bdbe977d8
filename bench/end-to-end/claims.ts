/**
 * The claims the end-to-end benchmark submits: the demo claim shape (a Claim with two routine items,
 * 23,000 XOF, below the sandbox's pend threshold, so the insurer answers at once; its Patient; its
 * Coverage) with a Claim.identifier of its own for each submission (a repeated identifier would be
 * answered with the original claim and never delivered) and a member among the sandbox insurer's
 * covered ones, so every answer is "complete". The body is built once as text and only the
 * identifier and member are put in per claim, so the load generator spends next to nothing on it.
 */
import { PARTICIPANT_SYSTEM } from '../../gateway/participants/registry.js';

/** The sandbox's demo-insurer covers M0001–M0900 this year (sandbox/seed/demo-insurers.json). */
export const COVERED_MEMBERS = 900;
export const MEMBER_SYSTEM = 'urn:passerelle:demo-insurer:member';

const CLAIM_ID = '__CLAIM_IDENTIFIER__';
const MEMBER = '__MEMBER__';

export interface ClaimTemplateOptions {
  readonly providerId: string;
  readonly insurerId: string;
  /** Claim.identifier.system: one per phase of the benchmark, so the database can be asked about one phase. */
  readonly identifierSystem: string;
  /** Makes identifier values unique across runs and phases: letters, digits and dashes. */
  readonly runId: string;
  readonly now: Date;
}

/** Bodies of POST /fhir/Claim/$submit, one per claim number. */
export interface ClaimTemplate {
  readonly identifierSystem: string;
  /** Size of one body in bytes (they differ by a few digits at most). */
  readonly bytes: number;
  /** The identifier value of claim i. */
  identifier(i: number): string;
  /** The JSON body of claim i. */
  body(i: number): string;
}

/** The member number of claim i: M0001..M0900 in turn. */
export function memberOf(i: number): string {
  return `M${String((i % COVERED_MEMBERS) + 1).padStart(4, '0')}`;
}

/** Builds the template (see the module comment). */
export function claimTemplate(options: ClaimTemplateOptions): ClaimTemplate {
  if (!/^[A-Za-z0-9-]+$/.test(options.runId)) throw new Error(`runId ${options.runId}: letters, digits and dashes only`);
  const text = JSON.stringify(bundle(options));
  const identifier = (i: number) => `${options.runId}-${i}`;
  const body = (i: number) => text.replaceAll(CLAIM_ID, identifier(i)).replaceAll(MEMBER, memberOf(i));
  return { identifierSystem: options.identifierSystem, bytes: Buffer.byteLength(body(0)), identifier, body };
}

function bundle(options: ClaimTemplateOptions): Record<string, unknown> {
  const today = options.now.toISOString().slice(0, 10);
  const patientUrl = 'urn:uuid:5b0c6f0e-3f1d-4b8e-9a55-0c1a2b3c4d02';
  const coverageUrl = 'urn:uuid:5b0c6f0e-3f1d-4b8e-9a55-0c1a2b3c4d03';
  const member = { system: MEMBER_SYSTEM, value: MEMBER };
  const item = (sequence: number, code: string, display: string, price: number) => ({
    sequence, productOrService: { coding: [{ system: 'urn:passerelle:demo:tariff', code, display }] }, servicedDate: today,
    unitPrice: { value: price, currency: 'XOF' }, net: { value: price, currency: 'XOF' },
  });
  const claim = {
    resourceType: 'Claim',
    identifier: [{ system: options.identifierSystem, value: CLAIM_ID }],
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'claim',
    patient: { reference: patientUrl },
    billablePeriod: { start: today, end: today },
    created: options.now.toISOString(),
    insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: options.insurerId } },
    provider: { identifier: { system: PARTICIPANT_SYSTEM, value: options.providerId } },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: coverageUrl } }],
    item: [item(1, 'CONS01', 'Consultation de médecine générale', 15000), item(2, 'LAB01', 'Numération formule sanguine', 8000)],
    total: { value: 23000, currency: 'XOF' },
  };
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { fullUrl: 'urn:uuid:5b0c6f0e-3f1d-4b8e-9a55-0c1a2b3c4d01', resource: claim },
      { fullUrl: patientUrl, resource: { resourceType: 'Patient', identifier: [member], name: [{ family: 'Diop', given: ['Awa'] }], gender: 'female', birthDate: '1985-04-12' } },
      {
        fullUrl: coverageUrl,
        resource: {
          resourceType: 'Coverage', identifier: [member], status: 'active', beneficiary: { reference: patientUrl },
          payor: [{ identifier: { system: PARTICIPANT_SYSTEM, value: options.insurerId } }],
        },
      },
    ],
  };
}
