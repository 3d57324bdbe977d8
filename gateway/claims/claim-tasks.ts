/**
 * Tasks about a claim (FHIR's financial task codes), from the provider that submitted it:
 * - "status": the Task completed, with the claim's processing status as businessStatus and its latest
 *   ClaimResponse as output, after asking the insurer when the claim waits for its answer;
 * - "cancel": the claim cancelled, by the gateway alone while the insurer has not taken it, else by the
 *   insurer; refused when it is too late (adjudicated) or the insurer takes no cancellations.
 * Other codes (poll, release, reprocess) are refused with a clear outcome (docs/lifecycle.md).
 */
import { randomUUID } from 'node:crypto';
import type { Task } from '@medplum/fhirtypes';
import { gatewayError } from '../fhir/outcomes.js';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';
import type { ClaimRecord } from './claim-repository.js';
import { PROCESSING_STATUS_SYSTEM } from './claim-status.js';
import { referencedId } from '../fhir/references.js';

/** FHIR's code system of financial tasks. */
export const FINANCIAL_TASK_SYSTEM = 'http://hl7.org/fhir/CodeSystem/financialtaskcode';

/** A task the gateway carries, read from a request body. */
export interface ClaimTaskRequest {
  readonly code: 'status' | 'cancel';
  readonly claimId: string;
  readonly task: Task;
}

/** Reads a Task about a claim; throws a coded outcome for what the gateway does not take. */
export function readClaimTask(body: Record<string, unknown>): ClaimTaskRequest {
  if (body.resourceType !== 'Task') {
    throw gatewayError('resource-type', { en: `Expected a Task, got ${typeof body.resourceType === 'string' ? body.resourceType.slice(0, 64) : 'no resourceType'}`, fr: `Une Task est attendue ; reçu : ${typeof body.resourceType === 'string' ? body.resourceType.slice(0, 64) : 'aucun resourceType'}` }, 'resourceType');
  }
  const task = body as unknown as Task;
  const code = task.code?.coding?.find((c) => c.system === FINANCIAL_TASK_SYSTEM)?.code;
  if (code !== 'status' && code !== 'cancel') {
    throw gatewayError('task-unsupported',
      { en: `The gateway carries Tasks of code status and cancel (${FINANCIAL_TASK_SYSTEM}); ${code ? `"${code.slice(0, 32)}" is not carried yet` : 'this Task has no code of that system'}`, fr: `La passerelle achemine les Tasks de code status et cancel (${FINANCIAL_TASK_SYSTEM}) ; ${code ? `"${code.slice(0, 32)}" n'est pas encore pris en charge` : "cette Task n'a pas de code de ce système"}` }, 'Task.code');
  }
  const focus = task.focus?.reference;
  const claimId = referencedId(focus, 'Claim');
  if (!claimId) throw gatewayError('task-unsupported', { en: 'Task.focus must reference the gateway claim: Claim/{id}', fr: 'Task.focus doit référencer la demande enregistrée par la passerelle : Claim/{id}' }, 'Task.focus');
  return { code, claimId, task };
}

/** The completed Task: the claim's processing status, and its latest ClaimResponse when it has one. */
export function completedTask(request: ClaimTaskRequest, claim: ClaimRecord, latestResponseId: string | undefined): Task & { id: string } {
  const now = new Date().toISOString();
  return {
    resourceType: 'Task',
    id: randomUUID(),
    status: 'completed',
    intent: request.task.intent ?? 'order',
    code: { coding: [{ system: FINANCIAL_TASK_SYSTEM, code: request.code }] },
    focus: { reference: `Claim/${claim.id}` },
    requester: { identifier: { system: PARTICIPANT_SYSTEM, value: claim.providerId } },
    owner: { identifier: { system: PARTICIPANT_SYSTEM, value: claim.insurerId } },
    authoredOn: request.task.authoredOn ?? now,
    lastModified: claim.updatedAt.toISOString(),
    businessStatus: { coding: [{ system: PROCESSING_STATUS_SYSTEM, code: claim.status }], text: `The claim is ${claim.status}` },
    ...(latestResponseId ? { output: [{ type: { text: 'Latest ClaimResponse' }, valueReference: { reference: `ClaimResponse/${latestResponseId}` } }] } : {}),
  };
}
