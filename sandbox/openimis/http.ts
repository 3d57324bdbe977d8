// The Express edge of the openIMIS face. openIMIS is a Django REST framework app: it answers
// application/json, FHIR resources and its own `{ "detail": ... }` errors alike.
import type { Response } from 'express';

/** What an openIMIS handler answers: a status, a JSON body and optional headers. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Writes an answer as application/json. */
export function sendJson(res: Response, answer: JsonAnswer): void {
  res.status(answer.status).set(answer.headers ?? {}).json(answer.body);
}
