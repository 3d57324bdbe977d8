/**
 * Endpoint-wide polling, as NPHIES does it: every message waiting for a participant, oldest first, at
 * most N at a time, until it acknowledges them. For a provider: the ClaimResponses to its claims (not the
 * first "queued" one it got with its 202), the final answers of its eligibility requests first answered
 * "queued", information requests and payments. For an insurer: the
 * providers' Communications. Each kind is given only to a caller whose token may read it. The
 * acknowledgement is kept on each message (no cursor to lose to commits landing out of order).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Caller } from '../auth/tokens.js';
import { gatewayError } from '../fhir/outcomes.js';
import type { Database } from '../store/database.js';
import { isUuid } from '../claims/claim-repository.js';
import { acknowledgeExchanges, EXCHANGE_TYPES } from './exchange-repository.js';

/** One waiting message. */
export interface WaitingMessage {
  readonly resourceType: string;
  readonly id: string;
  readonly resource: Resource & { id: string };
}

/** The kinds of message a caller polls: those addressed to its kind that its token may read. */
export function pollableTypes(caller: Caller): { claimResponses: boolean; eligibilityResponses: boolean; exchanges: string[] } {
  const reads = (type: string) => caller.scopes.has(`system/${type}.read`);
  if (caller.kind === 'provider') {
    return { claimResponses: reads('ClaimResponse'), eligibilityResponses: reads('CoverageEligibilityResponse'), exchanges: EXCHANGE_TYPES.filter((t) => t !== 'Communication' && reads(t)) };
  }
  if (caller.kind === 'insurer') return { claimResponses: false, eligibilityResponses: false, exchanges: reads('Communication') ? ['Communication'] : [] };
  return { claimResponses: false, eligibilityResponses: false, exchanges: [] };
}

export class Mailbox {
  constructor(private readonly db: Database) {}

  /** The messages waiting for the caller, oldest first, at most limit; and how many wait in all. */
  async poll(caller: Caller, limit: number): Promise<{ messages: WaitingMessage[]; total: number }> {
    const types = pollableTypes(caller);
    if (!types.claimResponses && !types.eligibilityResponses && types.exchanges.length === 0) {
      throw gatewayError('insufficient-scope', { en: 'Polling gives a participant the messages addressed to it that its token may read: it holds no such scope', fr: "La relève (polling) donne à un participant les messages qui lui sont adressés et que son jeton peut lire : il ne détient aucune portée (scope) de ce type" });
    }
    const waiting = `
      select 'ClaimResponse' as resource_type, r.id, r.resource, r.created_at from claim_responses r join claims c on c.id = r.claim_id
        where $3::boolean and c.provider_id = $1 and r.acknowledged_at is null and r.id <> c.accepted_response_id and r.resource is not null
      union all
      select 'CoverageEligibilityResponse', q.response_id, q.response, q.answered_at from eligibility_requests q
        where $4::boolean and q.provider_id = $1 and q.queued_response_id is not null and q.response is not null and q.response_acknowledged_at is null
      union all
      select e.resource_type, e.id, e.resource, e.created_at from claim_exchanges e
        where e.recipient_id = $1 and e.acknowledged_at is null and e.resource is not null and e.resource_type = any($2::text[])`;
    const params = [caller.participantId, types.exchanges, types.claimResponses, types.eligibilityResponses];
    const page = await this.db.query<{ resource_type: string; id: string; resource: Resource & { id: string } }>(
      `select resource_type, id, resource from (${waiting}) w order by created_at, id limit ${Math.trunc(limit)}`, params);
    const count = await this.db.query<{ n: number }>(`select count(*)::int as n from (${waiting}) w`, params);
    return { messages: page.rows.map((r) => ({ resourceType: r.resource_type, id: r.id, resource: r.resource })), total: count.rows[0]!.n };
  }

  /**
   * Acknowledges polled messages of the caller, named `Type/{id}`; returns how many were waiting. A message
   * of another participant, or one already acknowledged, changes nothing.
   */
  async acknowledge(caller: Caller, messages: ReadonlyArray<{ type: string; id: string }>): Promise<number> {
    if (caller.kind !== 'provider' && caller.kind !== 'insurer') throw gatewayError('insufficient-scope', { en: 'Only providers and insurers poll and acknowledge', fr: 'Seuls les prestataires de soins et les assureurs relèvent et acquittent des messages' });
    const responseIds = messages.filter((m) => m.type === 'ClaimResponse' && isUuid(m.id)).map((m) => m.id);
    const eligibilityIds = messages.filter((m) => m.type === 'CoverageEligibilityResponse' && isUuid(m.id)).map((m) => m.id);
    const exchangeIds = messages.filter((m) => m.type !== 'ClaimResponse' && m.type !== 'CoverageEligibilityResponse').map((m) => m.id);
    return this.db.transaction(async (tx) => {
      let acknowledged = 0;
      if (responseIds.length > 0 && caller.kind === 'provider') {
        const { rows } = await tx.query<{ id: string }>(
          `update claim_responses r set acknowledged_at = now() from claims c
            where c.id = r.claim_id and c.provider_id = $1 and r.id = any($2::uuid[]) and r.acknowledged_at is null returning r.id`,
          [caller.participantId, responseIds]);
        acknowledged += rows.length;
      }
      if (eligibilityIds.length > 0 && caller.kind === 'provider') {
        const { rows } = await tx.query<{ id: string }>(
          `update eligibility_requests set response_acknowledged_at = now()
            where provider_id = $1 and response_id = any($2::uuid[]) and queued_response_id is not null and response_acknowledged_at is null returning id`,
          [caller.participantId, eligibilityIds]);
        acknowledged += rows.length;
      }
      acknowledged += (await acknowledgeExchanges(tx, caller.participantId, exchangeIds)).length;
      return acknowledged;
    });
  }
}
