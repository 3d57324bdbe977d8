// The reply file of a batch: each claim adjudicated at once by the sandbox's rules (batch mode has no
// pending: the threshold is not checked), written as one row per line, or one row for a claim
// rejected as a whole or whose rows are invalid.
import { adjudicateClaim } from '../adjudication.js';
import type { SandboxContext } from '../context.js';
import type { InsurerSeed } from '../seed.js';
import type { BatchClaim } from './batch-claims.js';
import { csvLine, REPLY_COLUMNS } from './batch-csv.js';
import { flatAdjudicationInput } from './flat-claim.js';
import { flatDecision } from './flat-decision.js';

type ReplyRow = readonly string[];

/** A claim rejected as a whole: no line, no amounts. */
function claimRow(claimRef: string, rejectCode: string, message: string): ReplyRow {
  return [claimRef, 'REJECTED', '', '', '', '', rejectCode, message];
}

function replyRows(ctx: SandboxContext, insurer: InsurerSeed, claim: BatchClaim): ReplyRow[] {
  if ('invalid' in claim) {
    return [claimRow(claim.claimRef, 'INVALID_RECORD', claim.invalid)];
  }
  const { record } = claim;
  const response = adjudicateClaim(flatAdjudicationInput(ctx.registry, insurer, record, ctx.now(), ctx.newId()));
  const decision = flatDecision(response, record.totalAmount);
  const error = decision.errors[0];
  // Member unknown or coverage inactive: the rules answer with an error and no lines.
  if (error) {
    return [claimRow(record.claimRef, error.code, decision.message)];
  }
  return decision.lines.map((line) => [
    record.claimRef,
    decision.status,
    String(line.lineNo),
    String(line.amountClaimed),
    String(line.amountCovered),
    String(line.patientShare),
    line.rejectCode ?? '',
    decision.message,
  ]);
}

/** The whole reply file of a batch's claims: the header, then each claim's rows in file order. */
export function replyFile(ctx: SandboxContext, insurer: InsurerSeed, claims: readonly BatchClaim[]): string {
  return [REPLY_COLUMNS, ...claims.flatMap((claim) => replyRows(ctx, insurer, claim))].map(csvLine).join('');
}
