/**
 * The language of the API documentation (/openapi.json, /docs) and of the CapabilityStatement
 * (/fhir/metadata): the gateway's own negotiation (Accept-Language, else DEFAULT_LANGUAGE, as for every
 * answer), which a link can override with ?lang=fr or ?lang=en.
 */
import type { Request, Response } from 'express';
import { languageOf, type Language } from '../validation/rules.js';

/** ?lang=fr|en, else Accept-Language, else the configured default. */
export function documentationLanguage(req: Request, fallback: Language): Language {
  const asked = typeof req.query.lang === 'string' ? req.query.lang.trim().toLowerCase() : undefined;
  if (asked === 'fr' || asked === 'en') return asked;
  return languageOf(req.header('accept-language'), fallback);
}

/** Marks an answer as chosen by language: caches keep one copy per Accept-Language, and it says its language. */
export function answeredIn(res: Response, language: Language): void {
  res.vary('Accept-Language');
  res.set('Content-Language', language);
}
