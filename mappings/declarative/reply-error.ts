/**
 * An insurer's answer that cannot be read as the mapping describes it: not an object, a required value
 * missing, an outcome code not in the table, a line for an item the claim does not have, an amount
 * that is not a number. The adapter turns it into a TransientDeliveryError (the insurer may answer
 * properly later); messages never quote member data.
 */
export class ReplyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplyError';
  }
}
