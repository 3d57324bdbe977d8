/**
 * Claims, their state history and their responses in the system of record. Every state change and the
 * jobs it needs are written in one transaction (see queue/outbox.ts), so nothing accepted is lost.
 */
import type { Bundle, ClaimResponse } from '@medplum/fhirtypes';
import type { Database, Queryable } from '../store/database.js';
import { outboxCte, outboxRows, writeOutbox, type OutboxMessage } from '../queue/outbox.js';
import { recordStateChanges, stateChangeCtes, stateChangeRows, type StateChange } from '../audit/audit-log.js';
import type { ClaimStatus } from './claim-status.js';

/** A stored claim. */
export interface ClaimRecord {
  readonly id: string;
  readonly providerId: string;
  readonly insurerId: string;
  readonly identifierSystem: string;
  readonly identifierValue: string;
  readonly status: ClaimStatus;
  /** The bundle as accepted; null once purged after the retention period. */
  readonly bundle: Bundle | null;
  readonly purgedAt?: Date;
  readonly acceptedResponseId: string;
  readonly attempts: number;
  readonly replays: number;
  readonly lastError?: string;
  /** Set when the claim had no insurer answer past its insurer's deadline; cleared by an answer. */
  readonly stuckSince?: Date;
  /** The claim that corrected (replaced) this one. */
  readonly replacedBy?: string;
  /** Coordination of benefits: for a follow-on claim, the provider's original claim (claim-coordination.ts). */
  readonly coordinationRoot?: string;
  /** For a follow-on claim, the claim whose answer it carries to the next payer. */
  readonly followsClaim?: string;
  /** For an original claim, its follow-on claims in payer order (read by get only). */
  readonly followOns?: readonly string[];
  /** The insurer's own id for the claim, when its answer gave one. */
  readonly insurerReference?: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What an insurer's answer establishes about its claim besides the answer itself. */
export interface AnswerFacts {
  /** The insurer's own id for the claim. */
  readonly insurerReference?: string;
  /** The prior authorisation granted (answers to a claim of use preauthorization). */
  readonly preAuthorisation?: { readonly ref: string; readonly start?: string; readonly end?: string };
  /** Coordination of benefits: what the answer moves on, written with it unless the claim was cancelled meanwhile. */
  readonly coordination?: CoordinationStep;
}

/** What a coordinated claim's final answer leads to (see ClaimService.recordInsurerAnswer). */
export interface CoordinationStep {
  /** The claim for the next payer, carrying this answer; at most one per claim. */
  readonly followOn?: NewClaim & { readonly coordination: { readonly root: string; readonly follows: string } };
  /** The split, on the provider's original claim, and its jobs (a push to the provider). */
  readonly split?: { readonly claimId: string; readonly response: ClaimResponse & { id: string }; readonly jobs: readonly OutboxMessage[] };
}

/** One claim of a coordination (the original or a follow-on) with its final insurer answer, if any. */
export interface CoordinatedClaim {
  readonly claim: ClaimRecord;
  readonly answer?: ClaimResponse & { id: string };
}

/** A prior authorisation as the gateway recorded it from its insurer's answer. */
export interface PreAuthorisationRecord {
  readonly claimId: string;
  readonly providerId: string;
  readonly start?: string;
  readonly end?: string;
  /** The authorisation request as accepted (its patient is the one authorised); null once purged. */
  readonly bundle: Bundle | null;
}

/** A stored ClaimResponse. */
export interface ResponseRecord {
  readonly id: string;
  readonly claimId: string;
  readonly source: 'gateway' | 'insurer';
  readonly outcome: string;
  /** The ClaimResponse; null once purged after the retention period. */
  readonly resource: ClaimResponse | null;
  readonly createdAt: Date;
}

interface ClaimRow {
  id: string; provider_id: string; insurer_id: string; identifier_system: string; identifier_value: string;
  status: ClaimStatus; bundle: Bundle | null; purged_at: Date | null; accepted_response_id: string; attempts: number; replays: number;
  last_error: string | null; stuck_since: Date | null; insurer_reference: string | null; replaced_by: string | null;
  coordination_root: string | null; follows_claim: string | null; follow_ons?: string[];
  created_at: Date; updated_at: Date;
}
interface ResponseRow {
  id: string; claim_id: string; source: 'gateway' | 'insurer'; outcome: string; resource: ClaimResponse | null; created_at: Date;
}

/** What accepting a claim stores. */
export interface NewClaim {
  readonly id: string;
  readonly providerId: string;
  readonly insurerId: string;
  readonly identifier: { readonly system: string; readonly value: string };
  readonly bundle: Bundle;
  readonly acceptedResponse: ClaimResponse & { id: string };
  readonly warnings: unknown[];
  readonly jobs: readonly OutboxMessage[];
  /** The claim this one corrects: marked replaced, and cancelled if its insurer had not decided it. */
  readonly replaces?: string;
}

/** Thrown by insert when the provider already submitted a claim with this identifier. */
export class DuplicateClaimError extends Error {}

/** What inserting one claim of a batch came to: stored, a duplicate identifier, or an error of its own. */
type InsertOutcome = 'inserted' | 'duplicate' | Error;

/** The most claims written in one statement (their bundles travel in one parameter). */
const MAX_INSERT_BATCH = 100;

/** Reads and writes claims. */
export class ClaimRepository {
  /** Claims accepted at the same time are stored together, in one statement and one commit (group commit). */
  private readonly insertOne: (claim: NewClaim) => Promise<InsertOutcome>;

  constructor(private readonly db: Database) {
    this.insertOne = db.batched((claims: readonly NewClaim[]) => this.insertBatch(claims), MAX_INSERT_BATCH);
  }

  /**
   * Stores an accepted claim, its "queued" answer and its delivery job, atomically. The claim is queued at
   * once (events accepted, then queued): its job is in the outbox, which adds it to BullMQ after commit or,
   * should that fail, later (queue/outbox.ts), as the "queued" answer tells the provider. Claims accepted
   * while a previous insert runs are written with each other's (store/coalescer.ts); each resolves once
   * its own rows are committed. Throws DuplicateClaimError when the provider already has a claim with
   * this identifier, including one of the same batch.
   */
  async insert(claim: NewClaim): Promise<void> {
    const outcome = await this.insertOne(claim);
    if (outcome === 'duplicate') throw new DuplicateClaimError('duplicate claim identifier');
    if (outcome instanceof Error) throw outcome;
  }

  /**
   * Writes claims in one statement. Should that statement fail, each claim is written alone (at the same
   * time, on the pool's connections), so that a claim that cannot be stored (whatever in it the database
   * refuses) fails its own request only.
   */
  private async insertBatch(claims: readonly NewClaim[]): Promise<InsertOutcome[]> {
    try {
      const inserted = await this.insertStatement(claims);
      return claims.map((c) => (inserted.has(c.id) ? 'inserted' : 'duplicate'));
    } catch (err) {
      if (claims.length === 1) return [err instanceof Error ? err : new Error(String(err))];
      return (await Promise.all(claims.map((claim) => this.insertBatch([claim])))).flat();
    }
  }

  /**
   * One statement, so one round trip and one commit for every claim of the batch: the claims, the claims
   * they correct, the gateway's ClaimResponses, the delivery jobs, and the history and audit events of
   * all of them. A claim whose identifier its provider already used (before, or earlier in the batch) is
   * left out, with everything that goes with it; the ids of the claims stored are returned.
   */
  private async insertStatement(claims: readonly NewClaim[]): Promise<Set<string>> {
    const changes: StateChange[] = claims.flatMap((claim) => [
      { claimId: claim.id, status: 'accepted', detail: claim.warnings.length > 0 ? { warnings: claim.warnings } : undefined },
      { claimId: claim.id, status: 'queued' },
      ...(claim.replaces ? [{ claimId: claim.replaces, status: 'replaced', detail: { by: claim.id } }] : []),
    ]);
    const rows = claims.map((claim, n) => ({
      n, id: claim.id, provider_id: claim.providerId, insurer_id: claim.insurerId, identifier_system: claim.identifier.system,
      identifier_value: claim.identifier.value, bundle: claim.bundle, response_id: claim.acceptedResponse.id, replaces: claim.replaces ?? null,
      outcome: claim.acceptedResponse.outcome ?? 'queued', response: claim.acceptedResponse,
    }));
    const { rows: stored } = await this.db.query<{ id: string }>(
      `with input as (select * from json_to_recordset($1::json) as c(n int, id uuid, provider_id text, insurer_id text, identifier_system text,
           identifier_value text, bundle json, response_id uuid, replaces uuid, outcome text, response json)),
         new_claim as (insert into claims (id, provider_id, insurer_id, identifier_system, identifier_value, status, bundle, accepted_response_id)
             select id, provider_id, insurer_id, identifier_system, identifier_value, 'queued', bundle, response_id from input order by n
           on conflict (provider_id, identifier_system, identifier_value) do nothing
           returning id, provider_id, insurer_id),
         replaced as (update claims o set replaced_by = i.id, stuck_since = null, updated_at = now(),
             status = case when o.status in ('accepted', 'queued', 'pended', 'failed') then 'cancelled' else o.status end
           from input i join new_claim c on c.id = i.id where o.id = i.replaces returning o.id, o.provider_id, o.insurer_id),
         gateway_response as (insert into claim_responses (id, claim_id, source, content_hash, outcome, resource, created_at)
           select i.response_id, i.id, 'gateway', null, i.outcome, i.response, clock_timestamp() from input i join new_claim c on c.id = i.id order by i.n),
         ${outboxCte('$2', 'm.owner in (select id from new_claim)')},
         ${stateChangeCtes('(select * from new_claim union all select * from replaced)', '$3', "s.claim_id in (select id from new_claim) or (s.status = 'replaced' and (s.detail->>'by')::uuid in (select id from new_claim))")}
       select id from new_claim`,
      [JSON.stringify(rows), outboxRows(claims.flatMap((c) => c.jobs.map((job) => ({ ...job, owner: c.id })))), stateChangeRows(changes)],
      { name: 'claim-insert' },
    );
    return new Set(stored.map((row) => row.id));
  }

  /** The claim with this id, or undefined. */
  async get(id: string): Promise<ClaimRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.db.query<ClaimRow>(
      `select c.*, array(select f.id::text from claims f where f.coordination_root = c.id order by f.created_at, f.id) as follow_ons
         from claims c where c.id = $1`, [id], { name: 'claim-by-id' });
    return rows[0] ? toClaim(rows[0]) : undefined;
  }

  /**
   * The claims of a coordination, the provider's original first then its follow-ons in the order they
   * were sent, each with its final insurer answer when it has one (complete, partial, error).
   */
  async coordination(rootId: string): Promise<CoordinatedClaim[]> {
    const { rows } = await this.db.query<ClaimRow & { answer: (ClaimResponse & { id: string }) | null }>(
      `select c.*, (select r.resource from claim_responses r where r.claim_id = c.id and r.source = 'insurer'
                      and c.status in ('complete', 'partial', 'error') order by r.created_at desc, r.id desc limit 1) as answer
         from claims c where c.id = $1 or c.coordination_root = $1 order by (c.id = $1) desc, c.created_at, c.id`, [rootId]);
    return rows.map((row) => ({ claim: toClaim(row), ...(row.answer ? { answer: row.answer } : {}) }));
  }

  /** The claim a provider submitted under this identifier, or undefined. */
  async findByIdentifier(providerId: string, system: string, value: string): Promise<ClaimRecord | undefined> {
    const { rows } = await this.db.query<ClaimRow>(
      'select * from claims where provider_id = $1 and identifier_system = $2 and identifier_value = $3', [providerId, system, value]);
    return rows[0] ? toClaim(rows[0]) : undefined;
  }

  /** Moves claims from accepted to queued once their delivery job is in the queue. */
  async markQueued(claimIds: readonly string[]): Promise<void> {
    if (claimIds.length === 0) return;
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `update claims set status = 'queued', updated_at = now() where id = any($1) and status = 'accepted' returning id`, [claimIds]);
      await recordStateChanges(tx, rows.map((row) => ({ claimId: row.id, status: 'queued' })));
    });
  }

  /**
   * Records a failed delivery attempt. With deadLetter (the last attempt), a claim still deliverable
   * becomes "failed" and gets the gateway's error ClaimResponse and its jobs (a push), atomically;
   * returns whether it did.
   */
  async recordDeliveryFailure(
    claimId: string, error: string, deadLetter?: { response: ClaimResponse & { id: string }; jobs: (responseId: string) => OutboxMessage[] },
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ status: ClaimStatus }>('select status from claims where id = $1 for update', [claimId]);
      const failing = deadLetter !== undefined && (rows[0]?.status === 'accepted' || rows[0]?.status === 'queued');
      await tx.query(
        `update claims set attempts = attempts + 1, last_error = $2, updated_at = now(),
           status = case when $3 then 'failed' else status end where id = $1`, [claimId, error, failing]);
      await recordStateChanges(tx, [{ claimId, status: failing ? 'failed' : 'delivery-retry', detail: { error } }]);
      if (failing) {
        await this.insertResponse(tx, claimId, 'gateway', undefined, deadLetter.response);
        await writeOutbox(tx, deadLetter.jobs(deadLetter.response.id));
      }
      return failing;
    });
  }

  /** Dead letters, most recent first, optionally of one insurer; with the total count. */
  async deadLetters(filter: { insurerId?: string; limit: number; offset: number }): Promise<{ total: number; claims: ClaimRecord[] }> {
    const where = `status = 'failed'${filter.insurerId ? ' and insurer_id = $1' : ''}`;
    const params = filter.insurerId ? [filter.insurerId] : [];
    const [count, page] = await Promise.all([
      this.db.query<{ n: number }>(`select count(*)::int as n from claims where ${where}`, params),
      this.db.query<ClaimRow>(`select * from claims where ${where} order by updated_at desc, id
        limit ${Math.trunc(filter.limit)} offset ${Math.trunc(filter.offset)}`, params),
    ]);
    return { total: count.rows[0]!.n, claims: page.rows.map(toClaim) };
  }

  /**
   * Moves dead letters back to "queued", each with a new delivery job (see deliveryJob), recording who
   * replayed them. Claims that are not dead letters are left as they are. Returns the replayed ones.
   */
  async replay(claimIds: readonly string[], by: string, jobFor: (claim: ClaimRecord) => OutboxMessage): Promise<ClaimRecord[]> {
    const ids = claimIds.filter(isUuid);
    if (ids.length === 0) return [];
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ClaimRow>(
        `update claims set status = 'queued', replays = replays + 1, updated_at = now()
         where id = any($1) and status = 'failed' returning *`, [ids]);
      const replayed = rows.map(toClaim);
      await recordStateChanges(tx, replayed.map((claim) => ({ claimId: claim.id, status: 'replayed', detail: { by, replay: claim.replays } })));
      await writeOutbox(tx, replayed.map(jobFor));
      return replayed;
    });
  }

  /**
   * Stores an insurer's ClaimResponse and moves the claim to the status its outcome leads to, with the
   * jobs that answer needs (a push to the provider). A resend of an answer already stored (same content
   * hash) changes nothing and returns the stored one; an updated answer (same insurer id, new content,
   * e.g. "queued" then "complete") is a new response.
   */
  async recordInsurerResponse(
    claimId: string, response: ClaimResponse & { id: string }, contentHash: string, status: ClaimStatus,
    jobs: (responseId: string) => OutboxMessage[], facts: AnswerFacts = {},
  ): Promise<{ record: ResponseRecord; created: boolean; cancelled?: boolean; followOn?: string; split?: string }> {
    const granted = facts.preAuthorisation;
    const record = async (q: Queryable) => {
      // One statement (one round trip, one commit) for an answer without coordination: the answer, the
      // claim's new status (unless cancelled meanwhile: the answer is kept, the provider's decision
      // stands) and what the answer tells of the claim, its history and audit events, and its jobs. The
      // insurer's reference and a granted authorisation are kept even from an answer already recorded.
      const { rows } = await q.query<ResponseRow & { cancelled: boolean }>(
        `with response as (insert into claim_responses (id, claim_id, source, content_hash, outcome, resource, created_at)
             values ($2, $1, 'insurer', $3, $4, $5::json, clock_timestamp()) on conflict (claim_id, source, content_hash) do nothing returning *),
           moved as (update claims c set
               status = case when a.answered and c.status <> 'cancelled' then $6 else c.status end,
               last_error = case when a.answered and c.status <> 'cancelled' then null else c.last_error end,
               stuck_since = case when a.answered and c.status <> 'cancelled' then null else c.stuck_since end,
               updated_at = case when a.answered and c.status <> 'cancelled' then now() else c.updated_at end,
               insurer_reference = coalesce($7, c.insurer_reference),
               preauth_ref = coalesce($8, c.preauth_ref),
               preauth_start = case when $8 is not null then $9::date else c.preauth_start end,
               preauth_end = case when $8 is not null then $10::date else c.preauth_end end
             from (select exists (select 1 from response) as answered) a
             where c.id = $1
             returning c.id, c.provider_id, c.insurer_id, a.answered, case when c.status = 'cancelled' then 'answered-after-cancel' else c.status end as event_status),
           ${outboxCte('$11', 'exists (select 1 from response)')},
           ${stateChangeCtes('moved', '$12', 's.status = (select event_status from moved where answered)')}
         select r.*, m.event_status = 'answered-after-cancel' as cancelled from response r cross join moved m`,
        [claimId, response.id, contentHash, response.outcome ?? 'queued', JSON.stringify(response), status, facts.insurerReference ?? null,
          granted?.ref ?? null, granted?.start ?? null, granted?.end ?? null, outboxRows(jobs(response.id)),
          // Both possible history entries: the statement keeps the one it turns out to make.
          stateChangeRows((['answered-after-cancel', status] as const).map((s) => ({ claimId, status: s, detail: { claimResponse: response.id, outcome: response.outcome } })))],
        { name: 'claim-insurer-answer' },
      );
      const inserted = rows[0];
      if (!inserted) {
        const { rows: recorded } = await q.query<ResponseRow>(
          `select * from claim_responses where claim_id = $1 and source = 'insurer' and content_hash = $2`, [claimId, contentHash]);
        return { record: toResponse(recorded[0]!), created: false };
      }
      const coordinated = inserted.cancelled || !facts.coordination ? {} : await this.coordinate(q, claimId, facts.coordination);
      return { record: toResponse(inserted), created: true, cancelled: inserted.cancelled, ...coordinated };
    };
    // A coordination writes more (a follow-on claim, a split): all of it in one transaction with the answer.
    return facts.coordination ? this.db.transaction(record) : record(this.db);
  }

  /**
   * Writes what a coordinated claim's answer moves on, in the answer's transaction (so a process that
   * dies loses nothing): the follow-on claim for the next payer (once per claim: a second answer does
   * not send another) with its first event, "queued" answer and delivery job, and the split on the
   * original claim with its jobs. Returns what it wrote.
   */
  private async coordinate(tx: Queryable, claimId: string, step: CoordinationStep): Promise<{ followOn?: string; split?: string }> {
    let followOn: string | undefined;
    if (step.followOn) {
      const claim = step.followOn;
      const { rows } = await tx.query<{ id: string }>(
        `insert into claims (id, provider_id, insurer_id, identifier_system, identifier_value, status, bundle, accepted_response_id, coordination_root, follows_claim)
         values ($1, $2, $3, $4, $5, 'queued', $6::json, $7, $8, $9) on conflict (follows_claim) do nothing returning id`,
        [claim.id, claim.providerId, claim.insurerId, claim.identifier.system, claim.identifier.value,
          JSON.stringify(claim.bundle), claim.acceptedResponse.id, claim.coordination.root, claim.coordination.follows]);
      if (rows[0]) {
        followOn = claim.id;
        await this.insertResponse(tx, claim.id, 'gateway', undefined, claim.acceptedResponse);
        await recordStateChanges(tx, [
          { claimId: claim.id, status: 'accepted', detail: { coordinationOf: claim.coordination.root, follows: claimId } },
          { claimId: claim.id, status: 'queued' },
          { claimId, status: 'sent-to-next-payer', detail: { claim: claim.id, insurer: claim.insurerId } },
        ]);
        await writeOutbox(tx, claim.jobs);
      }
    }
    // A split is written when the claim went on (or ended the coordination), never for an answer that changed nothing.
    if (step.split && (followOn || !step.followOn)) {
      await this.writeSplit(tx, step.split);
      return { followOn, split: step.split.response.id };
    }
    return { followOn };
  }

  /** The gateway's split answer on the original claim of a coordination, its event and its push. */
  private async writeSplit(tx: Queryable, split: NonNullable<CoordinationStep['split']>): Promise<void> {
    await this.insertResponse(tx, split.claimId, 'gateway', undefined, split.response);
    await recordStateChanges(tx, [{ claimId: split.claimId, status: 'coordination-split', detail: { claimResponse: split.response.id, outcome: split.response.outcome } }]);
    await writeOutbox(tx, split.jobs);
  }

  /**
   * Marks a claim cancelled if its status is still one of those given, with a "cancelled" event naming
   * who asked, and (a follow-on claim of a coordination) the split it leads to, in the same transaction.
   * Returns the claim as it is afterwards, and whether this call cancelled it.
   */
  async cancel(claimId: string, from: readonly ClaimStatus[], by: string, split?: CoordinationStep['split']): Promise<{ claim?: ClaimRecord; cancelled: boolean }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ClaimRow>(
        `update claims set status = 'cancelled', stuck_since = null, updated_at = now() where id = $1 and status = any($2::text[]) returning *`, [claimId, [...from]]);
      if (rows[0]) {
        await recordStateChanges(tx, [{ claimId, status: 'cancelled', detail: { by } }]);
        if (split) await this.writeSplit(tx, split);
        return { claim: toClaim(rows[0]), cancelled: true };
      }
      const current = await tx.query<ClaimRow>('select * from claims where id = $1', [claimId]);
      return { claim: current.rows[0] ? toClaim(current.rows[0]) : undefined, cancelled: false };
    });
  }

  /** The prior authorisation an insurer granted under this reference, if any. */
  async preAuthorisation(insurerId: string, ref: string): Promise<PreAuthorisationRecord | undefined> {
    const { rows } = await this.db.query<{ id: string; provider_id: string; preauth_start: string | Date | null; preauth_end: string | Date | null; bundle: Bundle | null }>(
      `select id, provider_id, preauth_start, preauth_end, bundle from claims
        where insurer_id = $1 and preauth_ref = $2 and status in ('complete', 'partial') order by created_at desc limit 1`, [insurerId, ref]);
    const row = rows[0];
    if (!row) return undefined;
    const day = (d: string | Date | null) => (d === null ? undefined : typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));
    return { claimId: row.id, providerId: row.provider_id, start: day(row.preauth_start), end: day(row.preauth_end), bundle: row.bundle };
  }

  /**
   * Flags the claims still without an insurer answer past their insurer's deadline (registry
   * delivery.answerDeadlineMinutes, else defaultDeadlineMs), with a "stuck" event. Returns them.
   */
  async flagStuck(defaultDeadlineMs: number): Promise<Array<{ id: string; insurerId: string }>> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; insurer_id: string }>(
        `update claims c set stuck_since = now() from participants p
         where p.id = c.insurer_id and c.stuck_since is null and c.status in ('accepted', 'queued', 'pended')
           and c.created_at < now() - coalesce((p.delivery_settings->>'answerDeadlineMinutes')::numeric * 60000, $1) * interval '1 millisecond'
         returning c.id, c.insurer_id`, [defaultDeadlineMs]);
      await recordStateChanges(tx, rows.map((row) => ({ claimId: row.id, status: 'stuck', detail: { insurer: row.insurer_id } })));
      return rows.map((r) => ({ id: r.id, insurerId: r.insurer_id }));
    });
  }

  /** Claims still unanswered and flagged stuck, oldest first, with the total count. */
  async stuck(filter: { insurerId?: string; limit: number; offset: number }): Promise<{ total: number; claims: ClaimRecord[] }> {
    const where = `stuck_since is not null and status in ('accepted', 'queued', 'pended')${filter.insurerId ? ' and insurer_id = $1' : ''}`;
    const params = filter.insurerId ? [filter.insurerId] : [];
    const [count, page] = await Promise.all([
      this.db.query<{ n: number }>(`select count(*)::int as n from claims where ${where}`, params),
      this.db.query<ClaimRow>(`select * from claims where ${where} order by created_at, id
        limit ${Math.trunc(filter.limit)} offset ${Math.trunc(filter.offset)}`, params),
    ]);
    return { total: count.rows[0]!.n, claims: page.rows.map(toClaim) };
  }

  /**
   * Takes up to limit pended claims not polled (or changed) for pollAfterMs, marking them polled now,
   * so concurrent worker processes share them out. insurers.only keeps one insurer's claims (its poll
   * job); insurers.except leaves out those polled by their own job.
   */
  async takePendedToPoll(pollAfterMs: number, limit: number, insurers?: { only?: string; except?: readonly string[] }): Promise<ClaimRecord[]> {
    const { rows } = await this.db.query<ClaimRow>(
      `update claims set polled_at = now() where id in (
         select id from claims where status = 'pended'
           and coalesce(polled_at, updated_at) < now() - ($1::int * interval '1 millisecond')
           and ($2::text is null or insurer_id = $2) and not (insurer_id = any($3::text[]))
         order by coalesce(polled_at, updated_at) limit ${Math.trunc(limit)} for update skip locked)
       returning *`, [pollAfterMs, insurers?.only ?? null, [...(insurers?.except ?? [])]]);
    return rows.map(toClaim);
  }

  /**
   * Purges the payloads of settled claims (complete, partial, error, failed, cancelled) created more than
   * retentionDays ago: their bundle and their responses' resources, plus stored idempotent answers and
   * dispatched outbox rows as old. Claim rows, events and response outcomes stay. At most limit claims a call.
   */
  async purgeExpired(retentionDays: number, limit: number): Promise<number> {
    const cutoff = `now() - (${Math.trunc(retentionDays)} * interval '1 day')`;
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `update claims set bundle = null, purged_at = now() where id in (
           select id from claims where purged_at is null and status in ('complete', 'partial', 'error', 'failed', 'cancelled')
             and created_at < ${cutoff} order by created_at limit ${Math.trunc(limit)} for update skip locked)
         returning id`);
      const ids = rows.map((r) => r.id);
      if (ids.length > 0) {
        await tx.query('update claim_responses set resource = null where claim_id = any($1)', [ids]);
        await recordStateChanges(tx, ids.map((id) => ({ claimId: id, status: 'purged', detail: { retentionDays } })));
      }
      await tx.query(`delete from idempotency_keys where created_at < ${cutoff}`);
      await tx.query(`delete from outbox where dispatched_at is not null and created_at < ${cutoff}`);
      return ids.length;
    });
  }

  /** One response by id, or undefined. */
  async response(id: string): Promise<ResponseRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.db.query<ResponseRow>('select * from claim_responses where id = $1', [id]);
    return rows[0] ? toResponse(rows[0]) : undefined;
  }

  /** Every response of a claim, oldest first. */
  async responses(claimId: string): Promise<ResponseRecord[]> {
    const { rows } = await this.db.query<ResponseRow>('select * from claim_responses where claim_id = $1 order by created_at, id', [claimId]);
    return rows.map(toResponse);
  }

  /** The state history of a claim, oldest first. */
  async events(claimId: string): Promise<Array<{ status: string; at: Date; detail: unknown }>> {
    const { rows } = await this.db.query<{ status: string; at: Date; detail: unknown }>(
      'select status, at, detail from claim_events where claim_id = $1 order by id', [claimId]);
    return rows;
  }

  /** Appends to a claim's state history (and its audit trail), in one statement. */
  async addEvent(claimId: string, status: string, detail?: unknown): Promise<void> {
    await recordStateChanges(this.db, [{ claimId, status, detail }]);
  }

  private async insertResponse(
    tx: Queryable, claimId: string, source: 'gateway' | 'insurer', contentHash: string | undefined, resource: ClaimResponse & { id: string },
  ): Promise<ResponseRow | undefined> {
    const { rows } = await tx.query<ResponseRow>(
      // clock_timestamp, not now(): answers written in one transaction (an insurer's answer and the split it
      // leads to) keep the order they were written in.
      `insert into claim_responses (id, claim_id, source, content_hash, outcome, resource, created_at) values ($1, $2, $3, $4, $5, $6::json, clock_timestamp())
       on conflict (claim_id, source, content_hash) do nothing returning *`,
      [resource.id, claimId, source, contentHash ?? null, resource.outcome ?? 'queued', JSON.stringify(resource)]);
    return rows[0];
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid UUID (ids of claims and responses). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function toClaim(row: ClaimRow): ClaimRecord {
  return {
    id: row.id, providerId: row.provider_id, insurerId: row.insurer_id, identifierSystem: row.identifier_system,
    identifierValue: row.identifier_value, status: row.status, bundle: row.bundle, acceptedResponseId: row.accepted_response_id,
    attempts: row.attempts, replays: row.replays, lastError: row.last_error ?? undefined,
    stuckSince: row.stuck_since ? new Date(row.stuck_since) : undefined, insurerReference: row.insurer_reference ?? undefined,
    replacedBy: row.replaced_by ?? undefined,
    coordinationRoot: row.coordination_root ?? undefined, followsClaim: row.follows_claim ?? undefined,
    ...(row.follow_ons ? { followOns: row.follow_ons } : {}),
    purgedAt: row.purged_at ? new Date(row.purged_at) : undefined, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at),
  };
}

function toResponse(row: ResponseRow): ResponseRecord {
  return { id: row.id, claimId: row.claim_id, source: row.source, outcome: row.outcome, resource: row.resource, createdAt: new Date(row.created_at) };
}
