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

/** One claim state change: the claim, its new status and what explains it. */
export interface StateChange {
  readonly claimId: string;
  readonly status: string;
  readonly detail?: unknown;
}

/**
 * The statement parts that record claim state changes: the entries of the claims' history
 * (claim_events, with their detail, in the order given) and their AuditEvents, readable by each claim's
 * provider and insurer. They are writable CTEs, so a change can go in the same statement as the write
 * that causes it: `claims` is the row source giving the claims' id, provider_id and insurer_id (the
 * claims table, or a CTE that inserts or updates claims), and `param` the placeholder of
 * stateChangeRows(changes). `where`, a condition on a change `s` (its claim_id, status and detail), keeps only
 * the changes the statement turns out to make (e.g. "answered after cancel" rather than the answer's status).
 */
export function stateChangeCtes(claims: string, param: string, where = 'true'): string {
  return `state_history as (insert into claim_events (claim_id, status, detail)
      select s.claim_id, s.status, s.detail from json_to_recordset(${param}::json) as s(n int, claim_id uuid, status text, detail jsonb) where ${where} order by s.n),
    state_audit as (insert into audit_events (id, kind, entity, outcome, participants, resource)
      select s.event_id, 'state', 'Claim/' || c.id, '0', array[c.provider_id, c.insurer_id], s.event
        from json_to_recordset(${param}::json) as s(claim_id uuid, status text, detail jsonb, event_id uuid, event json) join ${claims} c on c.id = s.claim_id where ${where})`;
}

/** The parameter stateChangeCtes reads: the changes with their AuditEvents, as JSON. */
export function stateChangeRows(changes: readonly StateChange[]): string {
  return JSON.stringify(changes.map((change, n) => {
    const event = stateEvent(change.claimId, change.status);
    return { n, claim_id: change.claimId, status: change.status, detail: change.detail ?? null, event_id: event.id, event };
  }));
}

/**
 * Records claim state changes inside the caller's transaction, in one statement (one round trip for all
 * of them): the entries of the claims' history and their AuditEvents.
 */
export async function recordStateChanges(tx: Queryable, changes: readonly StateChange[]): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(`with ${stateChangeCtes('claims', '$1')} select 1`, [stateChangeRows(changes)]);
}

/** Writes and reads the audit trail. */
export class AuditLog {
  private readonly writeAccess: (facts: AccessFacts) => Promise<void>;

  constructor(private readonly db: Database, private readonly logger: Logger) {
    // Every answered request writes one event: concurrent ones go to the database together (group commit).
    this.writeAccess = db.batched((batch: readonly AccessFacts[]) => this.insertAccesses(batch));
  }

  /**
   * Records one access; the claim concerned (by Claim or ClaimResponse id) adds its parties as readers.
   * Resolves once the event is stored, with the accesses answered at the same time.
   */
  recordAccess(facts: AccessFacts): Promise<void> {
    return this.writeAccess(facts);
  }

  private async insertAccesses(batch: readonly AccessFacts[]): Promise<void> {
    const rows = batch.map((facts) => {
      const event = accessEvent(facts);
      const [type, id] = (facts.entity ?? '').split('/');
      return {
        id: event.id, kind: authentication(facts) ? 'authentication' : 'access', agent: facts.participantId ?? null, entity: facts.entity ?? null,
        outcome: outcomeOf(facts.status), recorded: event.recorded,
        claim_id: type === 'Claim' && id && UUID.test(id) ? id : null, response_id: type === 'ClaimResponse' && id && UUID.test(id) ? id : null, resource: event,
      };
    });
    await this.db.query(
      `insert into audit_events (id, kind, agent, entity, outcome, participants, recorded, resource)
       select a.id, a.kind, a.agent, a.entity, a.outcome,
         array_remove(array[a.agent] || coalesce((select array[c.provider_id, c.insurer_id] from claims c
           where c.id = coalesce(a.claim_id, (select claim_id from claim_responses where id = a.response_id))), '{}'::text[]), null),
         a.recorded, a.resource
       from json_to_recordset($1::json) as a(id uuid, kind text, agent text, entity text, outcome text, recorded timestamptz, claim_id uuid, response_id uuid, resource json)`,
      [JSON.stringify(rows)], { name: 'audit-accesses' });
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
