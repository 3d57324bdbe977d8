/**
 * The audit trail's store: AuditEvents with the participants allowed to read them (the acting
 * participant, and the provider and insurer of the claim concerned), searched by operators over
 * everything and by participants over their own records. Claim state changes are recorded in the same
 * transaction as the change (ClaimRepository); accesses when their answer is sent (auditAccess).
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Database, Queryable } from '../store/database.js';
import type { Logger } from '../logger.js';
import { accessEvent, authentication, outcomeOf, stateEvent, type AccessFacts } from './audit-events.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Search filters; dates are ISO instants. */
export interface AuditQuery {
  readonly entity?: string;
  readonly agent?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
  readonly offset: number;
  /** Undefined for operators (everything); else only events this participant may read. */
  readonly visibleTo?: string;
}

/**
 * Records a claim state change inside the caller's transaction: the entry of the claim's history
 * (claim_events, with its detail) and its AuditEvent, in one statement (one round trip per change).
 */
export async function recordStateChange(tx: Queryable, claimId: string, status: string, detail?: unknown): Promise<void> {
  const event = stateEvent(claimId, status);
  await tx.query(
    `with history as (insert into claim_events (claim_id, status, detail) values ($4, $5, $6::jsonb))
     insert into audit_events (id, kind, entity, outcome, participants, resource)
     select $1, 'state', $2, '0', array[c.provider_id, c.insurer_id], $3::json from claims c where c.id = $4`,
    [event.id, `Claim/${claimId}`, JSON.stringify(event), claimId, status, detail === undefined ? null : JSON.stringify(detail)]);
}

/** Writes and reads the audit trail. */
export class AuditLog {
  constructor(private readonly db: Database, private readonly logger: Logger) {}

  /** Records one access; the claim concerned (by Claim or ClaimResponse id) adds its parties as readers. */
  async recordAccess(facts: AccessFacts): Promise<void> {
    const event = accessEvent(facts);
    const [type, id] = (facts.entity ?? '').split('/');
    const claimId = type === 'Claim' && id && UUID.test(id) ? id : null;
    const responseId = type === 'ClaimResponse' && id && UUID.test(id) ? id : null;
    await this.db.query(
      `insert into audit_events (id, kind, agent, entity, outcome, participants, resource)
       values ($1, $2, $3, $4, $5,
         array_remove(array[$3::text] || coalesce((select array[c.provider_id, c.insurer_id] from claims c
           where c.id = coalesce($6::uuid, (select claim_id from claim_responses where id = $7::uuid))), '{}'::text[]), null),
         $8::json)`,
      [event.id, authentication(facts) ? 'authentication' : 'access', facts.participantId ?? null, facts.entity ?? null,
        outcomeOf(facts.status), claimId, responseId, JSON.stringify(event)]);
  }

  /** AuditEvents matching the query, newest first, with the total. */
  async search(query: AuditQuery): Promise<{ total: number; events: AuditEvent[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(clause(params.length));
    };
    if (query.visibleTo) add((n) => `participants @> array[$${n}::text]`, query.visibleTo);
    if (query.entity) add((n) => `entity = $${n}`, query.entity);
    if (query.agent) add((n) => `agent = $${n}`, query.agent);
    if (query.since) add((n) => `recorded >= $${n}::timestamptz`, query.since);
    if (query.until) add((n) => `recorded <= $${n}::timestamptz`, query.until);
    const clause = where.length ? `where ${where.join(' and ')}` : '';
    const [count, page] = await Promise.all([
      this.db.query<{ n: number }>(`select count(*)::int as n from audit_events ${clause}`, params),
      this.db.query<{ resource: AuditEvent }>(`select resource from audit_events ${clause} order by recorded desc, id
        limit ${Math.trunc(query.limit)} offset ${Math.trunc(query.offset)}`, params),
    ]);
    return { total: count.rows[0]!.n, events: page.rows.map((r) => r.resource) };
  }

  /** Middleware recording every request it sees once its answer is sent (refusals included). */
  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      res.on('finish', () => {
        this.recordAccess(factsOf(req, res)).catch((err: Error) =>
          this.logger.error({ err: { message: err.message }, path: req.path }, 'audit event not recorded'));
      });
      next();
    };
  }
}

/** The facts of an answered request: the entity from the Location header, the path, or a request= search. */
function factsOf(req: Request, res: Response): AccessFacts {
  const path = req.originalUrl.split('?')[0]!;
  const location = res.getHeader('location');
  const fromLocation = typeof location === 'string' ? /\/(Claim|ClaimResponse)\/([^/?#]+)$/.exec(location) : null;
  const participant = /^\/admin\/participants\/([^/]+)/.exec(path);
  const fromPath = /^\/fhir\/([A-Za-z]+)\/([^/$][^/]*)$/.exec(path) ?? /^\/admin\/claims\/([^/]+)/.exec(path);
  const search = typeof req.query.request === 'string' ? /Claim\/([^/]+)$/.exec(req.query.request) : null;
  const entity = fromLocation ? `${fromLocation[1]}/${fromLocation[2]}`
    : fromPath ? (fromPath.length === 3 ? `${fromPath[1]}/${fromPath[2]}` : `Claim/${fromPath[1]}`)
      : search ? `Claim/${search[1]}` : participant ? `Organization/${participant[1]}` : undefined;
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : undefined;
  const participantId = req.caller?.participantId ?? (res.locals.authenticatedParticipant as string | undefined);
  const clientId = req.caller?.clientId ?? (res.locals.authenticatedClient as string | undefined);
  return { method: req.method, path, status: res.statusCode, participantId, clientId, address: req.ip ?? req.socket.remoteAddress, entity, query };
}
