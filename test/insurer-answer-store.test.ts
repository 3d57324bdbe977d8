/**
 * How the store records an insurer's answer (ClaimRepository.recordInsurerResponse), on real PostgreSQL
 * and on PGlite: the answer, the claim's new status, its history and audit events, its jobs and what the
 * answer tells of the claim all go together; an answer already recorded is not recorded twice; a claim
 * cancelled meanwhile stays cancelled.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import type { Database } from '../gateway/store/database.js';
import { ClaimRepository } from '../gateway/claims/claim-repository.js';
import { openTestStore } from './harness.js';

type Answer = ClaimResponse & { id: string };

describe.each(['PostgreSQL', 'PGlite'] as const)('an insurer answer in the store (%s)', (store) => {
  let db: Database;
  let claims: ClaimRepository;
  let cleanUp: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestStore(store);
    db = opened.db;
    claims = new ClaimRepository(db);
    cleanUp = opened.close;
  }, 60_000);
  afterAll(() => cleanUp());

  const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Claim' } as Claim }] };
  async function queuedClaim(): Promise<string> {
    const id = randomUUID();
    await claims.insert({
      id, providerId: 'clinic', insurerId: 'ipm', identifier: { system: 'urn:x', value: id }, bundle,
      acceptedResponse: { resourceType: 'ClaimResponse', id: randomUUID(), outcome: 'queued' } as Answer, warnings: [], jobs: [],
    });
    return id;
  }
  const answer = (outcome: ClaimResponse['outcome']): Answer => ({ resourceType: 'ClaimResponse', id: randomUUID(), outcome } as Answer);
  const push = (claimId: string) => (responseId: string) => [{ queue: 'callbacks', jobName: 'push', jobId: `push-${responseId}`, payload: { claimId, responseId } }];
  const history = async (claimId: string) => (await claims.events(claimId)).map((e) => e.status);
  const stateAudits = async (claimId: string) => Number((await db.query<{ n: string }>(
    `select count(*) as n from audit_events where kind = 'state' and entity = $1`, [`Claim/${claimId}`])).rows[0]!.n);
  const jobsOf = async (responseId: string) => (await db.query<{ job_id: string }>(`select job_id from outbox where job_id = $1`, [`push-${responseId}`])).rows.length;
  const facts = async (claimId: string) => (await db.query(
    `select status, insurer_reference, preauth_ref, preauth_start::text, preauth_end::text, last_error from claims where id = $1`, [claimId])).rows[0];

  it('records the answer, the new status, its events and jobs, and what it tells of the claim, together', async () => {
    const claimId = await queuedClaim();
    await db.query(`update claims set last_error = 'insurer timed out' where id = $1`, [claimId]);
    const complete = answer('complete');
    const recorded = await claims.recordInsurerResponse(claimId, complete, 'hash-a', 'complete', push(claimId),
      { insurerReference: 'IPM-77', preAuthorisation: { ref: 'PA-1', start: '2026-11-01', end: '2026-12-31' } });
    expect(recorded).toMatchObject({ created: true, cancelled: false, record: { id: complete.id, claimId, source: 'insurer' } });
    expect(await facts(claimId)).toEqual({
      status: 'complete', insurer_reference: 'IPM-77', preauth_ref: 'PA-1', preauth_start: '2026-11-01', preauth_end: '2026-12-31', last_error: null,
    });
    expect(await history(claimId)).toEqual(['accepted', 'queued', 'complete']);
    expect(await stateAudits(claimId)).toBe(3);
    expect(await jobsOf(complete.id)).toBe(1);
  });

  it('does not record an answer twice, but keeps what a repeat tells of the claim', async () => {
    const claimId = await queuedClaim();
    const first = answer('complete');
    await claims.recordInsurerResponse(claimId, first, 'hash-b', 'complete', push(claimId));
    const repeat = await claims.recordInsurerResponse(claimId, answer('complete'), 'hash-b', 'complete', push(claimId), { insurerReference: 'IPM-78' });
    expect(repeat).toMatchObject({ created: false, record: { id: first.id } });
    expect(await facts(claimId)).toMatchObject({ status: 'complete', insurer_reference: 'IPM-78', preauth_ref: null });
    expect(await history(claimId)).toEqual(['accepted', 'queued', 'complete']);
    expect(await stateAudits(claimId)).toBe(3);
    expect((await claims.responses(claimId)).filter((r) => r.source === 'insurer').map((r) => r.id)).toEqual([first.id]);
  });

  it('keeps a claim cancelled meanwhile cancelled, the answer stored and pushed as answered after cancel', async () => {
    const claimId = await queuedClaim();
    expect((await claims.cancel(claimId, ['queued'], 'clinic')).cancelled).toBe(true);
    const late = answer('complete');
    const recorded = await claims.recordInsurerResponse(claimId, late, 'hash-c', 'complete', push(claimId), { insurerReference: 'IPM-79' });
    expect(recorded).toMatchObject({ created: true, cancelled: true, record: { id: late.id } });
    expect(await facts(claimId)).toMatchObject({ status: 'cancelled', insurer_reference: 'IPM-79' });
    expect(await history(claimId)).toEqual(['accepted', 'queued', 'cancelled', 'answered-after-cancel']);
    expect(await stateAudits(claimId)).toBe(4);
    expect(await jobsOf(late.id)).toBe(1);
  });
});
