// The Express edge of the sandbox: writing FhirAnswers, and turning anything unexpected into an
// OperationOutcome. Internal error text goes to the log, never to the client.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { errorIssue, internalError, notFound, outcomeAnswer, type FhirAnswer } from './outcomes.js';

/** Media types the sandbox reads as JSON bodies. */
export const JSON_MEDIA_TYPES = ['application/fhir+json', 'application/json'];

/** Writes an answer as application/fhir+json. */
export function sendFhir(res: Response, answer: FhirAnswer): void {
  res.status(answer.status).set(answer.headers ?? {}).type('application/fhir+json').send(JSON.stringify(answer.body));
}

/** Final route: anything not matched is a 404 OperationOutcome. */
export function unknownRoute(req: Request, res: Response): void {
  sendFhir(res, notFound(`No route for ${req.method} ${req.path}.`));
}

/** Body-parser errors carry a client status and a stable type; everything else is our fault. */
function clientError(err: unknown): FhirAnswer | undefined {
  const { status, type } = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) {
    return undefined;
  }
  const text =
    type === 'entity.parse.failed'
      ? 'The request body is not valid JSON.'
      : type === 'entity.too.large'
        ? 'The request body is too large.'
        : 'The request could not be read.';
  return outcomeAnswer(status, [errorIssue(type === 'entity.too.large' ? 'too-costly' : 'invalid', text)]);
}

/** Express error handler (four arguments, as Express requires to recognise it). */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const answer = clientError(err);
    if (!answer) {
      logger.error({ err, method: req.method, path: req.path }, 'sandbox request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendFhir(res, answer ?? internalError());
  };
}
