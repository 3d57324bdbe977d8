// Task/$create at the sandbox's FHIR face: a gateway asks the insurer to cancel a claim (a Task of code
// cancel, focus Claim/{id}). A pended claim whose answer is still waiting is withdrawn: the Task is
// "completed" and the claim's latest answer becomes a cancelled ClaimResponse. A claim already decided
// gets a "rejected" Task saying so; a claim the insurer never received, 404.
import { inBothLanguages } from './texts.js';
import type { ClaimResponse, Task } from '@medplum/fhirtypes';
import type { SandboxContext } from './context.js';
import { errorIssue, notFound, outcomeAnswer, type FhirAnswer } from './outcomes.js';
import type { InsurerSeed } from './seed.js';

const FINANCIAL_TASK = 'http://hl7.org/fhir/CodeSystem/financialtaskcode';

/** POST Task: the answer to a cancel Task. */
export function taskAnswer(ctx: SandboxContext, insurer: InsurerSeed, body: unknown): FhirAnswer {
  const task = body as Task | undefined;
  if (task?.resourceType !== 'Task') return outcomeAnswer(422, [errorIssue('invalid', 'The body must be a Task.', 'Task')]);
  const code = task.code?.coding?.find((c) => c.system === FINANCIAL_TASK)?.code;
  if (code !== 'cancel') return outcomeAnswer(422, [errorIssue('not-supported', `Only Tasks of code cancel (${FINANCIAL_TASK}) are taken.`, 'Task.code')]);
  const claimId = /(?:^|\/)Claim\/([A-Za-z0-9\-.]{1,64})$/.exec(task.focus?.reference ?? '')?.[1];
  if (!claimId) return outcomeAnswer(422, [errorIssue('required', 'Task.focus must reference the claim: Claim/{id}.', 'Task.focus')]);
  const latest = ctx.answers.latest(insurer.id, claimId);
  if (!latest) return notFound(`Claim/${claimId} was never received.`);
  const answered: Task = { ...task, id: ctx.newId(), authoredOn: task.authoredOn ?? ctx.now().toISOString(), lastModified: ctx.now().toISOString() };
  if (latest.status === 'cancelled' || ctx.pended.cancel(insurer.id, claimId)) {
    const cancelled: ClaimResponse = { ...latest, status: 'cancelled', ...inBothLanguages('disposition', { en: 'Cancelled at the provider\'s request before adjudication.', fr: 'Annulée à la demande du prestataire avant la décision.' }) };
    ctx.answers.record(insurer.id, claimId, cancelled);
    return { status: 201, body: { ...answered, status: 'completed' } };
  }
  return { status: 201, body: { ...answered, status: 'rejected', statusReason: inBothLanguages('text', { en: `The claim has already been adjudicated (outcome ${latest.outcome}).`, fr: `La demande a déjà été jugée (issue ${latest.outcome}).` }) } };
}
