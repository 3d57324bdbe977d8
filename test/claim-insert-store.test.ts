/**
 * How the store writes accepted claims (ClaimRepository.insert), on real PostgreSQL and on PGlite: claims
 * accepted at the same time go to the database in one statement (group commit), yet each keeps the
 * outcome it would have had alone: its own rows, history, audit events and job; a duplicate identifier,
 * even within the batch, fails that claim only; a claim the database refuses fails its own request and
 * leaves nothing behind, while the others of its batch are stored.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import type { Database } from '../gateway/store/database.js';
import { ClaimRepository, DuplicateClaimError, type NewClaim } from '../gateway/claims/claim-repository.js';
import { openTestStore } from './harness.js';

describe.each(['PostgreSQL', 'PGlite'] as const)('accepted claims in the store (%s)', (store) => {
  let db: Database;
  let claims: ClaimRepository;
  /** Statements the repository ran, by name. */
  const statements: string[] = [];
  let cleanUp: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestStore(store);
    db = opened.db;
    const counted: Database = { ...db, query: (sql, params, options) => {
      statements.push(options?.name ?? sql);
      return db.query(sql, params, options);
    } };
    claims = new ClaimRepository(counted);
    cleanUp = opened.close;
  }, 60_000);
  afterAll(() => cleanUp());

  const bundle = (identifier: string): Bundle => ({
    resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Claim', identifier: [{ system: 'urn:x', value: identifier }] } as Claim }],
  });
  function newClaim(options: { identifier?: string; warnings?: unknown[]; replaces?: string } = {}): NewClaim {
    const id = randomUUID();
    const identifier = options.identifier ?? id;
    return {
      id, providerId: 'clinic', insurerId: 'ipm', identifier: { system: 'urn:x', value: identifier }, bundle: bundle(identifier),
      acceptedResponse: { resourceType: 'ClaimResponse', id: randomUUID(), outcome: 'queued' } as ClaimResponse & { id: string },
      warnings: options.warnings ?? [], jobs: [{ queue: 'claims', jobName: 'deliver', jobId: `deliver-${id}`, payload: { claimId: id } }],
      ...(options.replaces ? { replaces: options.replaces } : {}),
    };
  }
  /** Everything an accepted claim leaves in the store, counted. */
  async function footprint(claimId: string) {
    const count = async (sql: string, param: string) => Number((await db.query<{ n: string }>(sql, [param])).rows[0]!.n);
    return {
      claims: await count('select count(*) as n from claims where id = $1', claimId),
      responses: await count(`select count(*) as n from claim_responses where claim_id = $1 and source = 'gateway'`, claimId),
      jobs: await count('select count(*) as n from outbox where job_id = $1', `deliver-${claimId}`),
      history: (await claims.events(claimId)).map((e) => e.status),
      audits: await count(`select count(*) as n from audit_events where kind = 'state' and entity = $1`, `Claim/${claimId}`),
    };
  }
  const stored = { claims: 1, responses: 1, jobs: 1, history: ['accepted', 'queued'], audits: 2 };
  const absent = { claims: 0, responses: 0, jobs: 0, history: [], audits: 0 };
  const settle = <T>(promises: Array<Promise<T>>) => Promise.allSettled(promises);

  it('writes claims accepted together in one statement, each with all its rows', async () => {
    const batch = Array.from({ length: 20 }, () => newClaim());
    statements.length = 0;
    await Promise.all(batch.map((c) => claims.insert(c)));
    expect(statements.filter((s) => s === 'claim-insert')).toHaveLength(1);
    for (const c of batch) expect(await footprint(c.id)).toEqual(stored);
    const one = await claims.get(batch[7]!.id);
    expect(one).toMatchObject({ status: 'queued', identifierValue: batch[7]!.identifier.value, acceptedResponseId: batch[7]!.acceptedResponse.id });
  });

  it('writes a lone claim at once, on its own', async () => {
    const c = newClaim();
    statements.length = 0;
    await claims.insert(c);
    expect(statements).toEqual(['claim-insert']);
    expect(await footprint(c.id)).toEqual(stored);
  });

  it('fails a duplicate identifier alone, whether already stored or earlier in the same batch', async () => {
    const earlier = newClaim();
    await claims.insert(earlier);
    const again = newClaim({ identifier: earlier.identifier.value });
    const first = newClaim();
    const twin = newClaim({ identifier: first.identifier.value });
    const other = newClaim();
    const results = await settle([again, first, twin, other].map((c) => claims.insert(c)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const r of [results[0], results[2]]) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateClaimError);
    for (const c of [again, twin]) expect(await footprint(c.id)).toEqual(absent);
    for (const c of [earlier, first, other]) expect(await footprint(c.id)).toEqual(stored);
  });

  it('fails a claim the database refuses alone: the rest of its batch is stored', async () => {
    // jsonb (a history entry's detail) refuses \u0000, which a json body may carry.
    const refused = newClaim({ warnings: [{ diagnostics: 'nul \u0000 here' }] });
    const before = newClaim();
    const after = newClaim();
    const results = await settle([before, refused, after].map((c) => claims.insert(c)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).not.toBeInstanceOf(DuplicateClaimError);
    expect(await footprint(refused.id)).toEqual(absent);
    expect(await footprint(before.id)).toEqual(stored);
    expect(await footprint(after.id)).toEqual(stored);
  });

  it('records a correction once: a duplicate correction in the same batch replaces nothing', async () => {
    const original = newClaim();
    await claims.insert(original);
    const correction = newClaim({ replaces: original.id });
    const resent = newClaim({ identifier: correction.identifier.value, replaces: original.id });
    const results = await settle([correction, resent].map((c) => claims.insert(c)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(await claims.get(original.id)).toMatchObject({ status: 'cancelled', replacedBy: correction.id });
    const history = await claims.events(original.id);
    expect(history.map((e) => [e.status, e.detail])).toEqual([['accepted', null], ['queued', null], ['replaced', { by: correction.id }]]);
    expect(await footprint(resent.id)).toEqual(absent);
  });
});
