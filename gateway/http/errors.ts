/**
 * The error handler at the edge: OperationOutcomeErrors are sent as they are; errors from body parsing
 * get their 4xx outcome; anything else becomes a generic 500 outcome plus a log line, so internal text
 * never reaches the client.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { gatewayError, internalErrorOutcome, localize, OperationOutcomeError } from '../fhir/outcomes.js';
import { languageOf, type Language } from '../validation/rules.js';
import { FHIR_JSON_TYPE, requestLanguage } from './fhir-handler.js';

/** Maps errors raised by express/body-parser to gateway errors; undefined for unexpected ones. */
function fromBodyParser(err: { type?: string; status?: number; limit?: number; expose?: boolean }): OperationOutcomeError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return gatewayError('body-too-large', {
        en: `The body is larger than the limit of ${err.limit ?? 'the configured'} bytes`,
        fr: `Le corps de la requête dépasse la limite de ${err.limit ?? 'la taille configurée en'} octets`,
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return gatewayError('content-type', {
        en: 'The body encoding or charset is not supported: send UTF-8 JSON',
        fr: "L'encodage ou le jeu de caractères du corps n'est pas pris en charge : envoyez du JSON en UTF-8",
      });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'entity.verify.failed':
      return gatewayError('body-unreadable', { en: 'The body could not be read completely', fr: "Le corps de la requête n'a pas pu être lu en entier" });
    default:
      // Any other client error raised while reading the body, e.g. gzip/deflate/br data that does not
      // decompress (zlib's Z_DATA_ERROR, status 400).
      return err.expose && typeof err.status === 'number' && err.status >= 400 && err.status < 500
        ? gatewayError('body-unreadable', {
          en: 'The body could not be read: its content encoding does not decode',
          fr: "Le corps de la requête n'a pas pu être lu : son encodage de contenu (Content-Encoding) ne se décode pas",
        })
        : undefined;
  }
}

/** Errors of a database that cannot be reached (connection refused or lost, server shutting down or full). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);

function fromDependency(err: unknown): OperationOutcomeError | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && UNREACHABLE.has(code)
    ? gatewayError('unavailable', {
      en: 'The gateway cannot reach its database right now; nothing was stored. Retry shortly.',
      fr: "La passerelle ne peut pas joindre sa base de données pour le moment ; rien n'a été enregistré. Réessayez dans un instant.",
    })
    : undefined;
}

/**
 * The last handler of the app. Outcomes are sent in the request's language: the one its FHIR route
 * chose, else its Accept-Language, else the configured default (DEFAULT_LANGUAGE).
 */
export function errorHandler(logger: Logger, defaultLanguage: Language = 'en'): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const language = requestLanguage(res) ?? languageOf(req.header('accept-language'), defaultLanguage);
    const known = err instanceof OperationOutcomeError ? err : fromBodyParser(err as Record<string, never>) ?? fromDependency(err);
    if (res.headersSent) {
      logger.error({ err, url: req.originalUrl }, 'error after the answer started');
      return;
    }
    if (known) {
      if (known.status === 503) {
        res.set('Retry-After', String(known.retryAfterSeconds ?? 5));
        // A dependency down (unavailable, insurer-unavailable) or this process overloaded (gateway-busy).
        const codes = (known.outcome.issue ?? []).flatMap((i) => i.details?.coding?.map((c) => c.code) ?? []);
        logger.warn({ err, url: req.originalUrl, codes }, 'answered 503: retry later');
      }
      res.status(known.status).type(FHIR_JSON_TYPE).send(JSON.stringify(localize(known.outcome, language)));
      return;
    }
    logger.error({ err, method: req.method, url: req.originalUrl }, 'unexpected error');
    res.status(500).type(FHIR_JSON_TYPE).send(JSON.stringify(localize(internalErrorOutcome(), language)));
  };
}

/** 404 for routes the gateway does not have. */
export const unknownRoute: RequestHandler = (req) => {
  throw gatewayError('not-found', {
    en: `${req.method} ${req.path} is not an operation of this gateway`,
    fr: `${req.method} ${req.path} n'est pas une opération de cette passerelle`,
  });
};
