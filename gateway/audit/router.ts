/**
 * GET /fhir/AuditEvent: the audit trail as a FHIR searchset. Operators (admin scope) search everything;
 * a provider or an insurer only the events it may read (its own actions, and what happened to its
 * claims). Parameters: entity (e.g. Claim/{id}), agent (participant id), date (ge/le prefixes), _count, _offset.
 */
import express from 'express';
import type { Bundle } from '@medplum/fhirtypes';
import { ADMIN_SCOPE } from '../auth/tokens.js';
import { fhirRoute } from '../http/fhir-handler.js';
import type { IdempotencyStore } from '../http/idempotency.js';
import { gatewayError } from '../fhir/outcomes.js';
import type { AuditLog, AuditQuery } from './audit-log.js';

export const AUDIT_READ_SCOPE = 'system/AuditEvent.read';

function dates(value: unknown): Pick<AuditQuery, 'since' | 'until'> {
  const list = (Array.isArray(value) ? value : value === undefined ? [] : [value]) as unknown[];
  const range: { since?: string; until?: string } = {};
  for (const item of list) {
    const match = typeof item === 'string' ? /^(ge|gt|le|lt)(\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?)$/.exec(item) : null;
    if (!match || Number.isNaN(Date.parse(match[2]!))) throw gatewayError('search-parameter', { en: 'date takes ge, gt, le or lt and a FHIR date or instant, e.g. date=ge2026-11-01', fr: 'date prend ge, gt, le ou lt suivi d\'une date ou d\'un instant FHIR, par exemple date=ge2026-11-01' });
    if (match[1]!.startsWith('g')) range.since = new Date(match[2]!).toISOString();
    else range.until = new Date(match[2]!).toISOString();
  }
  return range;
}

function count(value: unknown, fallback: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw gatewayError('search-parameter', { en: `${name} must be a whole number from 0 to ${max}`, fr: `${name} doit être un nombre entier de 0 à ${max}` });
  return n;
}

/** The AuditEvent search route (mounted after authentication). */
export function auditRouter(deps: { audit: AuditLog; idempotency: IdempotencyStore; publicBaseUrl?: string }): express.Router {
  const router = express.Router();
  router.get('/fhir/AuditEvent', fhirRoute(async (req) => {
    const q = req.query;
    const { total, events } = await deps.audit.search({
      entity: typeof q.entity === 'string' ? q.entity : undefined,
      agent: typeof q.agent === 'string' ? q.agent : undefined,
      ...dates(q.date),
      limit: Math.max(1, count(q._count, 50, 200, '_count')),
      offset: count(q._offset, 0, 1_000_000, '_offset'),
      visibleTo: req.caller.scopes.has(ADMIN_SCOPE) ? undefined : req.caller.participantId,
    });
    const bundle: Bundle = {
      resourceType: 'Bundle', type: 'searchset', total,
      entry: events.map((e) => ({ fullUrl: `${req.baseUrl}/fhir/AuditEvent/${e.id}`, resource: e, search: { mode: 'match' } })),
    };
    return { status: 200, resource: bundle };
  }, { scope: AUDIT_READ_SCOPE }, deps));
  return router;
}
