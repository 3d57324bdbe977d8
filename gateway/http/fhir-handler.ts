/**
 * Express stays at the edge: FHIR handlers take a typed request and return a status and a resource; this
 * wrapper authenticates, checks the scope, applies the Idempotency-Key protocol and sends the answer.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import type { Caller } from '../auth/tokens.js';
import { gatewayError, localize, OperationOutcomeError } from '../fhir/outcomes.js';
import { languageOf, type Language } from '../validation/rules.js';
import { IdempotencyStore, type StoredAnswer } from './idempotency.js';

/** What a FHIR handler receives. */
export interface FhirRequest {
  readonly caller: Caller;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: Record<string, unknown>;
  /** Absolute base URL of the gateway, for Location headers and fullUrls. */
  readonly baseUrl: string;
  /** The language of the answer, chosen once by fhirRoute (Accept-Language, else DEFAULT_LANGUAGE): messages a handler builds use it. */
  readonly language: Language;
  /** The body's exact bytes (for signatures), when it had one. */
  readonly rawBody?: Buffer;
  header(name: string): string | undefined;
}

/** What a handler returns: a FHIR resource, or a plain JSON document on the operator API. */
export interface FhirAnswer {
  readonly status: number;
  readonly resource: Resource | Readonly<Record<string, unknown>>;
  readonly location?: string;
}

export type FhirHandler = (req: FhirRequest) => Promise<FhirAnswer>;

/** Options of one route. */
export interface RouteOptions {
  /** The scope the caller's token must carry; absent: any authenticated participant (e.g. $validate). */
  readonly scope?: string;
  /** POSTs honour Idempotency-Key. */
  readonly idempotent?: boolean;
  /** The key of a request that names itself (a FHIR message's Bundle.id); the Idempotency-Key header otherwise. */
  readonly idempotencyKey?: (req: FhirRequest) => string | undefined;
  /** Answers are plain JSON (the operator API), not FHIR. Errors stay OperationOutcomes. */
  readonly json?: boolean;
}

export const FHIR_JSON_TYPE = 'application/fhir+json; charset=utf-8';

/** The language a FHIR route chose for its answer (read by the error handler), if one did. */
export function requestLanguage(res: Response): Language | undefined {
  const language: unknown = res.locals.language;
  return language === 'fr' || language === 'en' ? language : undefined;
}

/**
 * Wraps a FHIR handler as an express handler. Answers are sent in the request's language
 * (Accept-Language, else deps.defaultLanguage); an answer stored for Idempotency-Key is stored in that
 * language, so a replay gives back the first answer's bytes, language included.
 */
export function fhirRoute(handler: FhirHandler, options: RouteOptions, deps: { idempotency: IdempotencyStore; publicBaseUrl?: string; defaultLanguage?: Language }): RequestHandler {
  return async (req: Request, res: Response, _next: NextFunction) => {
    const language = languageOf(req.get('accept-language'), deps.defaultLanguage ?? 'en');
    res.locals.language = language;
    const caller = req.caller;
    if (!caller) throw gatewayError('unauthenticated', { en: 'A bearer token is required', fr: "Un jeton d'accès (bearer token) est requis" });
    if (options.scope !== undefined && !caller.scopes.has(options.scope)) {
      throw gatewayError('insufficient-scope', {
        en: `This operation needs the scope ${options.scope}`,
        fr: `Cette opération exige la portée (scope) ${options.scope}`,
      });
    }
    const request: FhirRequest = {
      caller,
      params: req.params as Record<string, string>,
      query: req.query as Record<string, unknown>,
      body: (req.body ?? {}) as Record<string, unknown>,
      baseUrl: deps.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`,
      language,
      rawBody: req.rawBody,
      header: (name) => req.get(name),
    };
    const key = options.idempotent ? (options.idempotencyKey?.(request) ?? req.get('idempotency-key')) : undefined;
    const type = options.json ? 'application/json; charset=utf-8' : FHIR_JSON_TYPE;
    if (key === undefined) return send(res, toStored(await handler(request), language), type);

    IdempotencyStore.checkKey(key);
    const replay = await deps.idempotency.begin(caller.participantId, key, IdempotencyStore.hashBody(req.rawBody ?? ''));
    if (replay) return send(res, replay, type, true);
    let answer: StoredAnswer;
    try {
      answer = toStored(await handler(request), language);
    } catch (err) {
      if (!(err instanceof OperationOutcomeError) || err.status >= 500) {
        await deps.idempotency.release(caller.participantId, key);
        throw err;
      }
      answer = { status: err.status, headers: {}, body: localize(err.outcome, language) };
    }
    await deps.idempotency.complete(caller.participantId, key, answer);
    send(res, answer, type);
  };
}

function toStored(answer: FhirAnswer, language: Language): StoredAnswer {
  return { status: answer.status, headers: answer.location ? { Location: answer.location } : {}, body: localize(answer.resource, language) };
}

function send(res: Response, answer: StoredAnswer, type: string, replayed = false): void {
  res.status(answer.status).set(answer.headers).type(type);
  if (replayed) res.set('Idempotent-Replayed', 'true');
  res.send(JSON.stringify(answer.body));
}
