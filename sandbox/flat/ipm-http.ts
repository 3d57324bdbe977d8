// The IPM JSON API's error model: handlers return an IpmReply (status, body, headers) and never touch
// the Express response; errors are `{"error": {code, message, fields?}}` with a stable code
// (flat-codes.ts), never an internal error text.
import type { Response } from 'express';
import type { IpmErrorCode } from './flat-codes.js';

/** What an IPM API handler answers. A string body is sent as text/html, anything else as JSON. */
export interface IpmReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error reply; `fields` lists the request fields at fault (INVALID_REQUEST). */
export function ipmError(status: number, code: IpmErrorCode, message: string, fields?: readonly string[]): IpmReply {
  return { status, body: { error: { code, message, ...(fields ? { fields } : {}) } } };
}

/** Writes a reply: JSON (application/json), or a string body as text/html (the "unparseable" fault). */
export function sendIpm(res: Response, reply: IpmReply): void {
  res.status(reply.status).set(reply.headers ?? {});
  if (typeof reply.body === 'string') {
    res.type('text/html').send(reply.body);
    return;
  }
  res.type('application/json').send(JSON.stringify(reply.body));
}
