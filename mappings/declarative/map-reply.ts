/**
 * An insurer's reply → a FHIR ClaimResponse, by a mapping spec. The reply is checked against the claim
 * as delivered: the same claim, lines only for the claim's item sequences, amounts in its currency.
 * request, insurer and requestor are the gateway's to set (claim-service recordInsurerAnswer); the
 * patient is copied from the claim, as the gateway's own responses do.
 */
import type { Claim, ClaimItem, ClaimResponse, ClaimResponseError, ClaimResponseItem, CodeableConcept } from '@medplum/fhirtypes';
import { compiledSpec, type CompiledReply } from './compile-spec.js';
import { ReplyError } from './reply-error.js';
import { quotable, replyAmount, replyText, replyValues, requiredText } from './reply-values.js';
import { adjudication, AMOUNT_CATEGORIES, coded, payment, totals, type AmountCategory, type Amounts } from './response-parts.js';
import type { MappingSpec } from './spec-schema.js';

/** What a reply says, as FHIR. */
export interface MappedReply {
  /** The gateway's claim id the reply names. */
  readonly claimId: string;
  /** The insurer's own id for the claim, when the reply gives one. */
  readonly insurerReference?: string;
  readonly claimResponse: ClaimResponse;
}

/** What of the claim a reply is read against (a whole Claim will do). */
export type AnsweredClaim = Pick<Claim, 'type' | 'use' | 'patient' | 'total'> & { readonly item?: ReadonlyArray<Pick<ClaimItem, 'sequence' | 'net' | 'unitPrice'>> };

interface Line {
  readonly sequence: number;
  readonly amounts: Amounts;
  readonly reason?: CodeableConcept;
}

/**
 * Maps a reply document (parsed JSON, or a CSV reply's {rows}) for `claim`. ids.claimId: the claim the
 * reply must be about. Throws ReplyError when the reply cannot be read as the spec says.
 */
export function mapReply(spec: MappingSpec, reply: unknown, claim: AnsweredClaim, ids: { claimId?: string } = {}, now = new Date()): MappedReply {
  if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) throw new ReplyError(`the reply of ${spec.insurerName} is not a JSON object`);
  const r = compiledSpec(spec).reply;
  const claimId = requiredText(r.claimId, reply, `the claim id (${spec.reply.claimId})`);
  if (ids.claimId !== undefined && claimId !== ids.claimId) throw new ReplyError(`the insurer answered about another claim (expected ${ids.claimId})`);
  const outcome = replyOutcome(spec, r, reply);
  const currency = spec.reply.currency;
  checkCurrency(claim, currency);
  // A queued answer has adjudicated nothing yet: of its figures, only what was submitted is kept.
  const categories = outcome === 'queued' ? (['submitted'] as const) : AMOUNT_CATEGORIES;
  const lines = replyLines(spec, r, reply, claim)
    .map((l) => (outcome === 'queued' ? { sequence: l.sequence, amounts: { submitted: l.amounts.submitted } } : l))
    .filter((l) => categories.some((c) => l.amounts[c] !== undefined));
  const amounts = replyTotals(spec, r, reply, lines, categories);
  const errors = replyErrors(spec, r, reply, outcome === 'error' ? lines : []);
  const disposition = replyText(r.disposition, reply, `the disposition (${spec.reply.disposition})`);
  const insurerReference = replyText(r.insurerReference, reply, `the insurer reference (${spec.reply.insurerReference})`);
  const item: ClaimResponseItem[] = lines.map((l) => ({ itemSequence: l.sequence, adjudication: adjudication(l.amounts, currency, l.reason) }));
  const total = totals(amounts, currency);
  // insurer (1..1) is the gateway's to set, as request and requestor: the cast says so.
  const claimResponse: Omit<ClaimResponse, 'insurer'> = {
    resourceType: 'ClaimResponse', status: 'active', type: claim.type, use: claim.use ?? 'claim', patient: claim.patient,
    created: now.toISOString(), outcome,
    ...(disposition === undefined ? {} : { disposition }),
    ...(item.length > 0 ? { item } : {}),
    ...(total.length > 0 ? { total } : {}),
    ...payment(amounts.benefit, currency),
    ...(errors.length > 0 ? { error: errors } : {}),
  };
  return { claimId, ...(insurerReference === undefined ? {} : { insurerReference }), claimResponse: claimResponse as ClaimResponse };
}

/** The FHIR outcome of the reply's status, by the spec's table. */
function replyOutcome(spec: MappingSpec, r: CompiledReply, reply: object): NonNullable<ClaimResponse['outcome']> {
  const status = requiredText(r.outcome, reply, `the outcome (${spec.reply.outcome.path})`);
  if (!Object.hasOwn(spec.reply.outcome.codes, status)) {
    throw new ReplyError(`the reply's outcome ${quotable(status)} is not in the mapping's table (${Object.keys(spec.reply.outcome.codes).join(', ')})`);
  }
  return spec.reply.outcome.codes[status]!;
}

/** The claim's totals: the reply's own, else (CSV replies have none) the sum of its lines. */
function replyTotals(spec: MappingSpec, r: CompiledReply, reply: object, lines: readonly Line[], categories: readonly AmountCategory[]): Amounts {
  const amounts: Amounts = {};
  for (const c of categories) {
    const given = replyAmount(r.total[c], reply, `the total ${c} (${spec.reply.total?.[c]})`);
    const fromLines = lines.filter((l) => l.amounts[c] !== undefined);
    const summed = fromLines.length > 0 ? Number(fromLines.reduce((sum, l) => sum + l.amounts[c]!, 0).toFixed(6)) : undefined;
    const value = given ?? summed;
    if (value !== undefined) amounts[c] = value;
  }
  return amounts;
}

/** The reply's lines, each for an item sequence of the claim, at most once. */
function replyLines(spec: MappingSpec, r: CompiledReply, reply: object, claim: AnsweredClaim): Line[] {
  if (!r.items) return [];
  const items = spec.reply.items!;
  const known = new Set((claim.item ?? []).map((i) => i.sequence));
  const seen = new Set<number>();
  return replyValues(r.items.path, reply, `the lines (${items.path})`).map((entry, i) => {
    const where = `line ${i + 1} of the reply (${items.path})`;
    if (entry === null || typeof entry !== 'object') throw new ReplyError(`${where} is not an object`);
    const sequence = replyAmount(r.items!.sequence, entry, `the item sequence (${items.sequence}) of ${where}`);
    if (sequence === undefined) throw new ReplyError(`the item sequence (${items.sequence}) of ${where} is missing`);
    if (!Number.isSafeInteger(sequence) || !known.has(sequence)) throw new ReplyError(`${where} is for item ${sequence}, which the claim does not have`);
    if (seen.has(sequence)) throw new ReplyError(`the reply has two lines for item ${sequence}`);
    seen.add(sequence);
    const amounts: Amounts = {};
    for (const c of AMOUNT_CATEGORIES) {
      const amount = replyAmount(r.items![c], entry, `the ${c} amount (${items[c]}) of ${where}`);
      if (amount !== undefined) amounts[c] = amount;
    }
    if (AMOUNT_CATEGORIES.every((c) => amounts[c] === undefined)) throw new ReplyError(`${where} has no amount`);
    const code = replyText(r.items!.reasonCode, entry, `the reason code of ${where}`);
    const reason = code === undefined ? undefined : coded(items.reason!.system, code, replyText(r.items!.reasonDisplay, entry, `the reason display of ${where}`));
    return { sequence, amounts, ...(reason ? { reason } : {}) };
  });
}

/**
 * ClaimResponse.error: the reply's claim-level errors whatever the outcome (the insurer said so), and
 * for an "error" outcome one per rejected line with its reason (a partial answer keeps line reasons on
 * the lines' adjudication only).
 */
function replyErrors(spec: MappingSpec, r: CompiledReply, reply: object, rejectedLines: readonly Line[]): ClaimResponseError[] {
  const errors: ClaimResponseError[] = [];
  if (r.errors) {
    const e = spec.reply.errors!;
    replyValues(r.errors.path, reply, `the errors (${e.path})`).forEach((entry, i) => {
      const where = `error ${i + 1} of the reply (${e.path})`;
      if (entry === null || typeof entry !== 'object') throw new ReplyError(`${where} is not an object`);
      const code = requiredText(r.errors!.code, entry, `the code (${e.code}) of ${where}`);
      errors.push({ code: coded(e.system, code, replyText(r.errors!.display, entry, `the display of ${where}`)) });
    });
  }
  for (const line of rejectedLines) if (line.reason) errors.push({ itemSequence: line.sequence, code: line.reason });
  return errors;
}

/** The claim's amounts must be in the reply's currency, or the reply's figures would be misread. */
function checkCurrency(claim: AnsweredClaim, currency: string): void {
  const moneys = [claim.total, ...(claim.item ?? []).flatMap((i) => [i.net, i.unitPrice])];
  const other = moneys.find((m) => m?.currency !== undefined && m.currency !== currency);
  if (other) throw new ReplyError(`the claim's amounts are in ${quotable(other.currency!)}, the mapping's replies in ${currency}`);
}
