/**
 * One error model for the whole gateway (after Medplum's core/outcomes.ts): issue factories, one
 * throwable carrying an HTTP status and an OperationOutcome, and stable gateway error codes, each
 * catalogued in docs/errors.md (a test keeps the two in step).
 */
import type { Extension, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Language } from '../validation/rules.js';

/** Code system of the gateway's stable error codes (OperationOutcome.issue.details.coding). */
export const GATEWAY_ERROR_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/gateway-error';

/** Every stable error code the gateway emits, with its HTTP status. */
export const GATEWAY_ERRORS = {
  'content-type': 415,
  'body-too-large': 413,
  'body-unreadable': 400,
  'json-malformed': 400,
  'json-too-deep': 400,
  'json-forbidden-key': 400,
  'json-array-too-long': 400,
  'json-not-object': 400,
  'jwe-invalid': 400,
  'resource-type': 422,
  'bundle-type': 422,
  'bundle-first-entry': 422,
  'validation': 422,
  'reference-unresolved': 422,
  'provider-not-caller': 422,
  'insurer-unknown': 422,
  'claim-response-request': 422,
  'search-parameter': 400,
  'unauthenticated': 401,
  'signature-invalid': 401,
  'insufficient-scope': 403,
  'not-found': 404,
  'purged': 410,
  'idempotency-in-flight': 409,
  'idempotency-mismatch': 422,
  'idempotency-key-invalid': 400,
  'not-dead-letter': 409,
  'participant-exists': 409,
  'participant-invalid': 422,
  'rate-limited': 429,
  'bundle-too-many-entries': 422,
  'eligibility-not-offered': 422,
  'member-identifier-missing': 422,
  'member-unknown': 422,
  'coverage-not-in-force': 422,
  'eligibility-unverified': 202,
  'task-unsupported': 422,
  'related-claim-unknown': 422,
  'poll-ack-invalid': 422,
  'cancel-too-late': 409,
  'cancel-not-offered': 409,
  'preauth-unknown': 422,
  'preauth-expired': 422,
  'coordination-invalid': 422,
  'exchange-claim-unknown': 422,
  'exchange-reference-unknown': 422,
  'exchange-mixed-recipients': 422,
  'payment-amount-mismatch': 422,
  'message-invalid': 422,
  'csrf-header-missing': 403,
  'message-event-unsupported': 422,
  'mapping-unsupported-element': 422,
  'mapping-required-missing': 422,
  'mapping-code-unmapped': 422,
  'mapping-value-invalid': 422,
  'insurer-unavailable': 503,
  'unavailable': 503,
  'gateway-busy': 503,
  'internal': 500,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

type IssueType = OperationOutcomeIssue['code'];

/** A message a person reads, in both languages of the gateway (same facts, same values). */
export interface Bilingual {
  readonly en: string;
  readonly fr: string;
}

/**
 * A message given to an issue: both languages, or a plain string (English only) for the few call sites
 * outside the gateway's error paths that have not moved over yet (test/french-messages.test.ts lists them).
 */
export type Message = Bilingual | string;

/** One issue, as the gateway builds it: every issue keeps its own severity, code and expression. */
export interface IssueSpec {
  readonly error: GatewayErrorCode;
  readonly message: Message;
  readonly expression?: string;
  readonly severity?: 'fatal' | 'error' | 'warning' | 'information';
  readonly type?: IssueType;
}

const defaultIssueType: Partial<Record<GatewayErrorCode, IssueType>> = {
  'json-malformed': 'structure', 'json-too-deep': 'too-costly', 'json-array-too-long': 'too-costly', 'json-forbidden-key': 'security',
  'json-not-object': 'structure', 'jwe-invalid': 'security', 'body-too-large': 'too-costly', 'content-type': 'not-supported',
  'validation': 'structure', 'reference-unresolved': 'not-found',
  'provider-not-caller': 'forbidden', 'unauthenticated': 'login', 'signature-invalid': 'security', 'insufficient-scope': 'forbidden',
  'not-found': 'not-found', 'purged': 'deleted', 'idempotency-in-flight': 'conflict', 'idempotency-mismatch': 'conflict', 'not-dead-letter': 'business-rule', 'participant-exists': 'duplicate', 'participant-invalid': 'invalid',
  'eligibility-not-offered': 'not-supported', 'member-identifier-missing': 'required', 'member-unknown': 'business-rule',
  'coverage-not-in-force': 'business-rule', 'eligibility-unverified': 'incomplete', 'insurer-unavailable': 'transient',
  'task-unsupported': 'not-supported', 'related-claim-unknown': 'not-found', 'poll-ack-invalid': 'invalid', 'cancel-too-late': 'business-rule', 'cancel-not-offered': 'not-supported', 'preauth-unknown': 'not-found', 'preauth-expired': 'business-rule',
  'coordination-invalid': 'business-rule',
  'exchange-claim-unknown': 'not-found', 'exchange-reference-unknown': 'not-found', 'exchange-mixed-recipients': 'business-rule', 'payment-amount-mismatch': 'business-rule',
  'message-invalid': 'structure', 'message-event-unsupported': 'not-supported', 'csrf-header-missing': 'security',
  'mapping-unsupported-element': 'not-supported', 'mapping-required-missing': 'required', 'mapping-code-unmapped': 'code-invalid',
  'mapping-value-invalid': 'value',
  'unavailable': 'transient', 'gateway-busy': 'transient', 'rate-limited': 'throttled', 'bundle-too-many-entries': 'too-costly', 'internal': 'exception',
};

/**
 * The French text of each issue built here. An outcome is built where the error is thrown, which does
 * not know who reads it; it is written in English and localized when the answer is sent (localize()).
 * Kept beside the issue, never in it, so no internal field can leak into an answer.
 */
const frenchText = new WeakMap<OperationOutcomeIssue, string>();

/** Builds one OperationOutcome issue (its text in English; localize() gives it in French). */
export function issue(spec: IssueSpec): OperationOutcomeIssue {
  const english = typeof spec.message === 'string' ? spec.message : spec.message.en;
  const built: OperationOutcomeIssue = {
    severity: spec.severity ?? 'error',
    code: spec.type ?? defaultIssueType[spec.error] ?? 'invalid',
    details: { coding: [{ system: GATEWAY_ERROR_SYSTEM, code: spec.error }], text: english },
    diagnostics: english,
    ...(spec.expression ? { expression: [spec.expression] } : {}),
  };
  if (typeof spec.message !== 'string') frenchText.set(built, spec.message.fr);
  return built;
}

/**
 * An answer with every gateway issue in it (in an OperationOutcome, a Bundle entry's outcome, a
 * contained OperationOutcome...) in the given language: details.text and diagnostics; the code never
 * changes. Issues already written in the reader's language (validation issues) are left as they are.
 * Returns the value itself when nothing changes (always in English, the language issues are built in).
 */
export function localize<T>(value: T, language: Language): T {
  return language === 'en' ? value : (translated(value, 0) as T);
}

function translated(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  const french = frenchText.get(value as OperationOutcomeIssue);
  if (french !== undefined) {
    const issued = value as OperationOutcomeIssue;
    return { ...issued, details: { ...issued.details, text: french }, diagnostics: french };
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => translated(item, depth + 1));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const changed = translated(item, depth + 1);
    if (changed !== item) (copy ??= { ...value })[key] = changed;
  }
  return copy ?? value;
}

/** Extension carrying a primitive's text in another language. */
export const TRANSLATION_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/translation';

/**
 * A string element of a resource the gateway stores, in both languages the FHIR way: English in the
 * value, French in the translation extension on the primitive (spread it: `...translatedElement('disposition', m)`).
 * With language 'fr', the other way round (a resource answered in the reader's language, e.g. the CapabilityStatement).
 */
export function translatedElement<K extends string>(name: K, message: Bilingual, language: Language = 'en'): Record<K, string> & Record<`_${K}`, { extension: Extension[] }> {
  const other: Language = language === 'en' ? 'fr' : 'en';
  const translation: Extension = {
    url: TRANSLATION_EXTENSION,
    extension: [{ url: 'lang', valueCode: other }, { url: 'content', valueString: message[other] }],
  };
  return { [name]: message[language], [`_${name}`]: { extension: [translation] } } as Record<K, string> & Record<`_${K}`, { extension: Extension[] }>;
}

/**
 * An outcome to store inside a resource read later by anyone (a ClaimResponse's contained
 * OperationOutcome): each gateway issue in English with its French in the translation extension of
 * details.text and diagnostics.
 */
export function withTranslations(stored: OperationOutcome): OperationOutcome {
  return {
    ...stored,
    issue: (stored.issue ?? []).map((issued) => {
      const french = frenchText.get(issued);
      if (french === undefined) return issued;
      const english = issued.diagnostics ?? '';
      const text = translatedElement('text', { en: issued.details?.text ?? english, fr: french });
      return { ...issued, details: { ...issued.details, ...text }, ...translatedElement('diagnostics', { en: english, fr: french }) };
    }),
  };
}

/** Wraps issues in an OperationOutcome. */
export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The one throwable of the gateway: an HTTP status and the OperationOutcome to answer with. */
export class OperationOutcomeError extends Error {
  /** For a 503: when to try again (else the error handler's default). */
  retryAfterSeconds?: number;

  constructor(readonly status: number, readonly outcome: OperationOutcome) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`);
    this.name = 'OperationOutcomeError';
  }
}

/** Error for one gateway error code; the HTTP status comes from the catalogue. */
export function gatewayError(error: GatewayErrorCode, message: Message, expression?: string): OperationOutcomeError {
  return new OperationOutcomeError(GATEWAY_ERRORS[error], outcome([issue({ error, message, expression })]));
}

/** Error carrying several issues (all reported, never only the first). */
export function invalid(issues: OperationOutcomeIssue[], status = 422): OperationOutcomeError {
  return new OperationOutcomeError(status, outcome(issues));
}

/** 404 that says nothing about whether the resource exists for someone else. */
export function notFound(resourceType: string, id: string): OperationOutcomeError {
  return gatewayError('not-found', { en: `${resourceType}/${id} is not known`, fr: `${resourceType}/${id} est inconnu de la passerelle` });
}

/** The generic 500 outcome: internal messages never reach the client. */
export function internalErrorOutcome(): OperationOutcome {
  return outcome([issue({ error: 'internal', message: { en: 'Internal error; it has been logged', fr: 'Erreur interne ; elle a été journalisée' } })]);
}

