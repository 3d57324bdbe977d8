/**
 * The Idempotency-Key protocol on POST /fhir/Claim/$submit (per participant: replay the stored answer for
 * the same body, 422 for another body, 409 while the first request runs, takeover of a key left in
 * flight by a dead process) and the duplicate-identifier rule that protects submissions without a key.
 * Real HTTP against a running gateway; the sandbox insurer counts what it received.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Claim } from '@medplum/fhirtypes';
import { claimBundle, processingStatus, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

/** Submits exactly these bytes as a participant, with an Idempotency-Key when given. */
function submit(body: string, key?: string, clientId = 'demo-clinic'): Promise<HttpAnswer> {
  return gw.submit(body, clientId, key === undefined ? {} : { 'Idempotency-Key': key });
}

function claimIdOf(answer: HttpAnswer): string {
  return answer.headers.get('location')!.split('/Claim/')[1]!;
}

function identifierOf(body: string): string {
  return (JSON.parse(body).entry[0].resource as Claim).identifier![0]!.value!;
}

function sha256(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

async function claimCount(identifier: string): Promise<number> {
  const { rows } = await gw.passerelle.db.query<{ n: number }>('select count(*)::int as n from claims where identifier_value = $1', [identifier]);
  return rows[0]!.n;
}

async function keyRow(participantId: string, key: string) {
  const { rows } = await gw.passerelle.db.query<{ state: string; response_status: number | null; request_hash: string }>(
    'select state, response_status, request_hash from idempotency_keys where participant_id = $1 and key = $2', [participantId, key]);
  return rows[0];
}

describe('Idempotency-Key on $submit', () => {
  it('replays the first answer for the same key and body, and the insurer receives the claim once', async () => {
    const key = randomUUID();
    const body = JSON.stringify(claimBundle());
    const first = await submit(body, key);
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const claimId = claimIdOf(first);
    expect(processingStatus(await gw.waitForStatus(claimId, ['complete', 'partial', 'error', 'failed']))).toBe('complete');

    const again = await submit(body, key);
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    expect(await claimCount(identifierOf(body))).toBe(1);
    const stats = await gw.sandbox('/_control/stats');
    expect((stats.body.received as Record<string, number>)[claimId]).toBe(1);
  });

  it('refuses the same key with another body with 422 idempotency-mismatch', async () => {
    const key = randomUUID();
    const first = await submit(JSON.stringify(claimBundle()), key);
    expect(first.status).toBe(202);
    const other = JSON.stringify(claimBundle());
    const answer = await submit(other, key);
    expect(expectOutcome(answer, 422, 'idempotency-mismatch')[0]!.details!.text).toMatch(/different request body/);
    expect(await claimCount(identifierOf(other))).toBe(0);
  });

  it('answers 409 idempotency-in-flight while a request with the same key is still running', async () => {
    const key = randomUUID();
    const body = JSON.stringify(claimBundle());
    await gw.passerelle.db.query(
      `insert into idempotency_keys (participant_id, key, request_hash, state) values ('demo-clinic', $1, $2, 'in_flight')`, [key, sha256(body)]);
    const answer = await submit(body, key);
    expect(expectOutcome(answer, 409, 'idempotency-in-flight')[0]!.details!.text).toMatch(/still being processed/);
    expect(await claimCount(identifierOf(body))).toBe(0);
    expect(await keyRow('demo-clinic', key)).toMatchObject({ state: 'in_flight', response_status: null });
  });

  it('takes over a key left in flight for more than a minute, and the request succeeds', async () => {
    const key = randomUUID();
    const body = JSON.stringify(claimBundle());
    await gw.passerelle.db.query(
      `insert into idempotency_keys (participant_id, key, request_hash, state) values ('demo-clinic', $1, $2, 'in_flight')`, [key, sha256(body)]);
    await gw.passerelle.db.query(
      `update idempotency_keys set updated_at = now() - interval '2 minutes' where participant_id = 'demo-clinic' and key = $1`, [key]);
    const answer = await submit(body, key);
    expect(answer.status).toBe(202);
    expect(answer.headers.get('idempotent-replayed')).toBeNull();
    expect(await claimCount(identifierOf(body))).toBe(1);
    expect(await keyRow('demo-clinic', key)).toMatchObject({ state: 'done', response_status: 202 });
    const replay = await submit(body, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('location')).toBe(answer.headers.get('location'));
  });

  it('keeps keys per participant: another provider may use the same key value independently', async () => {
    const key = randomUUID();
    const clinicBody = JSON.stringify(claimBundle());
    const hospitalBody = JSON.stringify(claimBundle(undefined, { provider: 'demo-hospital' }));
    const clinic = await submit(clinicBody, key, 'demo-clinic');
    const hospital = await submit(hospitalBody, key, 'demo-hospital');
    expect([clinic.status, hospital.status]).toEqual([202, 202]);
    expect(hospital.headers.get('idempotent-replayed')).toBeNull();
    expect(hospital.headers.get('location')).not.toBe(clinic.headers.get('location'));
    expect(await claimCount(identifierOf(hospitalBody))).toBe(1);

    const clinicAgain = await submit(clinicBody, key, 'demo-clinic');
    expect(clinicAgain.headers.get('location')).toBe(clinic.headers.get('location'));
    expect(clinicAgain.headers.get('idempotent-replayed')).toBe('true');
    const hospitalAgain = await submit(hospitalBody, key, 'demo-hospital');
    expect(hospitalAgain.headers.get('location')).toBe(hospital.headers.get('location'));
  });

  it('replays a 4xx answer given under a key', async () => {
    const key = randomUUID();
    const bundle = claimBundle();
    delete (bundle.entry![0]!.resource as Claim).identifier;
    const body = JSON.stringify(bundle);
    const first = await submit(body, key);
    expectOutcome(first, 422, 'validation');
    const again = await submit(body, key);
    expect(again.status).toBe(422);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await keyRow('demo-clinic', key)).toMatchObject({ state: 'done', response_status: 422 });
  });

  it.each([
    ['300 characters long', 'k'.repeat(300)],
    ['holding a space', 'two words'],
  ])('refuses a key %s with 400 idempotency-key-invalid and runs nothing', async (_name, key) => {
    const body = JSON.stringify(claimBundle());
    const answer = await submit(body, key);
    expect(expectOutcome(answer, 400, 'idempotency-key-invalid')[0]!.details!.text).toMatch(/1 to 255 visible ASCII characters/);
    expect(await claimCount(identifierOf(body))).toBe(0);
    expect(await keyRow('demo-clinic', key)).toBeUndefined();
  });
});

describe('duplicate claim identifiers without a key', () => {
  it('answers the same identifier from the same provider with the original answer', async () => {
    const identifier = randomUUID();
    const first = await submit(JSON.stringify(claimBundle(undefined, { identifier })));
    expect(first.status).toBe(202);
    const again = await submit(JSON.stringify(claimBundle(undefined, { identifier })));
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await claimCount(identifier)).toBe(1);
  });

  it('treats the same identifier from another provider as a different claim', async () => {
    const identifier = randomUUID();
    const clinic = await submit(JSON.stringify(claimBundle(undefined, { identifier })), undefined, 'demo-clinic');
    const hospital = await submit(JSON.stringify(claimBundle(undefined, { identifier, provider: 'demo-hospital' })), undefined, 'demo-hospital');
    expect([clinic.status, hospital.status]).toEqual([202, 202]);
    expect(hospital.headers.get('location')).not.toBe(clinic.headers.get('location'));
    expect(hospital.body.id).not.toBe(clinic.body.id);
    expect(hospital.body).toMatchObject({ requestor: { identifier: { value: 'demo-hospital' } } });
    const { rows } = await gw.passerelle.db.query<{ provider_id: string }>('select provider_id from claims where identifier_value = $1 order by provider_id', [identifier]);
    expect(rows.map((r) => r.provider_id)).toEqual(['demo-clinic', 'demo-hospital']);
    const hidden = await gw.get(`/fhir/Claim/${claimIdOf(hospital)}`, 'demo-clinic');
    expect(hidden.status).toBe(404);
  });
});
