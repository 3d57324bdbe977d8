// The IPM API's two operations without HTTP: submit a claim (replay by claimRef, check, apply the
// sandbox's rules, keep the answer, schedule a pended claim's decision) and read a claim's answer.
// The routes add what is about transport (API key, faults, content type, stats).
import { adjudicateClaim, decideClaim } from '../adjudication.js';
import type { SandboxContext } from '../context.js';
import type { InsurerSeed } from '../seed.js';
import { issuePath, readClaimRecord } from './claim-record.js';
import { flatAdjudicationInput } from './flat-claim.js';
import { flatDecision } from './flat-decision.js';
import { ipmError, type IpmReply } from './ipm-http.js';

/** A submission's reply, and whether the rules decided it (for the stats). */
export interface IpmSubmission {
  readonly reply: IpmReply;
  readonly adjudicated: boolean;
}

function storedClaimRef(body: unknown): string | undefined {
  const claimRef: unknown = typeof body === 'object' && body !== null ? (body as { claimRef?: unknown }).claimRef : undefined;
  return typeof claimRef === 'string' ? claimRef : undefined;
}

/**
 * POST /claims with a parsed JSON body. A claimRef already answered gets that claim's current answer
 * whatever the body; otherwise the body is checked (400 listing every field at fault) and adjudicated.
 * A claim above the pend threshold answers PENDING and is decided after the pend delay.
 */
export function submitIpmClaim(ctx: SandboxContext, insurer: InsurerSeed, body: unknown): IpmSubmission {
  const claimRef = storedClaimRef(body);
  const stored = claimRef === undefined ? undefined : ctx.flat.ipmClaims.get(insurer.id, claimRef);
  if (stored) {
    return { reply: { status: 200, body: stored, headers: { 'Idempotent-Replayed': 'true' } }, adjudicated: false };
  }
  const read = readClaimRecord(body);
  if ('issues' in read) {
    const text = read.issues.map((i) => `${issuePath(i) || 'The body'} ${i.problem}`).join(', ');
    const fields = [...new Set(read.issues.map(issuePath).filter((p) => p !== ''))];
    return { reply: ipmError(400, 'INVALID_REQUEST', `Invalid claim: ${text}.`, fields), adjudicated: false };
  }
  const { record } = read;
  const input = flatAdjudicationInput(ctx.registry, insurer, record, ctx.now(), ctx.newId());
  const decision = decideClaim(input);
  const answer = ctx.flat.ipmClaims.add(insurer.id, record.claimRef, record.totalAmount, flatDecision(decision.response, record.totalAmount));
  if (decision.pended) {
    ctx.flat.ipmPended.schedule({
      insurerId: insurer.id,
      claimId: record.claimRef,
      adjudicate: () => adjudicateClaim({ ...input, now: ctx.now() }),
    });
  }
  return { reply: { status: 200, body: answer }, adjudicated: true };
}

/** GET /claims/{claimRef}: the claim's current answer, or 404. */
export function ipmClaimAnswer(ctx: SandboxContext, insurer: InsurerSeed, claimRef: string): IpmReply {
  const answer = ctx.flat.ipmClaims.get(insurer.id, claimRef);
  return answer ? { status: 200, body: answer } : ipmError(404, 'NOT_FOUND', `No claim ${JSON.stringify(claimRef)} at ${insurer.id}.`);
}
