/**
 * Reading values out of an insurer's reply with the spec's expressions: one text, one amount, one
 * sequence. Empty strings count as absent (a CSV cell has no null); numbers may come as decimal text
 * (CSV again). What does not fit throws a ReplyError saying where, never quoting the value.
 */
import type { Evaluator } from './expressions.js';
import { numberOf } from './field-values.js';
import { ReplyError } from './reply-error.js';

/** The non-empty values an expression gives on a reply document (or one entry of it). */
export function replyValues(evaluate: Evaluator, input: unknown, where: string): unknown[] {
  let values: unknown[];
  try {
    values = evaluate(input, {});
  } catch (err) {
    throw new ReplyError(`${where} cannot be read from the reply (a FHIRPath evaluation error)`, { cause: err });
  }
  return values.filter((v) => v !== null && v !== undefined && v !== '');
}

/** At most one text value (a number is written as text); undefined when absent. */
export function replyText(evaluate: Evaluator | undefined, input: unknown, where: string): string | undefined {
  if (!evaluate) return undefined;
  const values = replyValues(evaluate, input, where);
  if (values.length > 1) throw new ReplyError(`${where} has ${values.length} values in the reply where one is expected`);
  const [value] = values;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new ReplyError(`${where} is not a value in the reply`);
  return String(value);
}

/** One text value that must be there. */
export function requiredText(evaluate: Evaluator, input: unknown, where: string): string {
  const value = replyText(evaluate, input, where);
  if (value === undefined) throw new ReplyError(`${where} is missing from the reply`);
  return value;
}

/** At most one amount: a number, or decimal text; undefined when absent. */
export function replyAmount(evaluate: Evaluator | undefined, input: unknown, where: string): number | undefined {
  if (!evaluate) return undefined;
  const values = replyValues(evaluate, input, where);
  if (values.length > 1) throw new ReplyError(`${where} has ${values.length} values in the reply where one is expected`);
  if (values.length === 0) return undefined;
  const amount = numberOf(values[0]);
  if (amount === undefined) throw new ReplyError(`${where} is not a number in the reply`);
  return amount;
}

/** Something safe to quote from a reply in a message: a short code, or a placeholder. */
export function quotable(value: string): string {
  return /^[A-Za-z0-9 _.:-]{1,40}$/.test(value) ? `"${value}"` : '(a value that is not a short code)';
}
