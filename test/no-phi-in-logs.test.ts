/**
 * Patient data never reaches the logs or the queues: a run at the most verbose log level (accepted,
 * adjudicated, pended, refused and malformed claims) leaves no name, member number or birth date in
 * any log line, and every job in Redis holds ids only.
 */
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '../gateway/logger.js';
import { claimBundle, startTestGateway, type TestGateway } from './harness.js';
import { TEST_REDIS_URL } from './services.js';

const PHI = ['Diop', 'Awa', 'M0001', 'M0950', '1985-04-12'];

describe('no patient data in logs or queues', () => {
  let gw: TestGateway;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString('utf8')); done(); } });
    gw = await startTestGateway({ env: { LOG_LEVEL: 'trace', QUEUE_PREFIX: 'ptest-phi' }, start: { logger: createLogger('trace', sink) } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('logs ids, never the patient', async () => {
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', status: 422, count: 1 }) });
    const ids: string[] = [];
    for (const bundle of [claimBundle(), claimBundle(), claimBundle(undefined, { member: 'M0950' }), claimBundle('claim-bundle-above-pend-threshold')]) {
      const answer = await gw.submit(bundle);
      ids.push(answer.headers.get('location')!.split('/Claim/')[1]!);
    }
    await Promise.all(ids.map((id) => gw.waitForStatus(id, ['complete', 'error'])));
    const bad = JSON.stringify(claimBundle()).replace('"birthDate"', '"birthDat"'); // a schema error about the Patient
    expect((await gw.submit(bad)).status).toBe(422);

    const log = lines.join('');
    expect(log).toContain(ids[0]); // the logs do speak of the claims, by id
    for (const value of PHI) expect(log).not.toContain(value);
    expect(log).not.toMatch(/[Bb]earer [A-Za-z0-9]/); // nor tokens

    const redis = new Redis(TEST_REDIS_URL);
    const names = (await redis.keys('ptest-phi:*:meta')).map((k) => k.split(':')[1]!);
    // The live eligibility cache (claims to demo-insurer are checked live): keys are hashes, no member numbers.
    const cacheKeys = await redis.keys('ptest-phi:eligibility:*');
    expect(cacheKeys.length).toBeGreaterThan(0);
    for (const key of cacheKeys) expect(key).toMatch(/^ptest-phi:eligibility:demo-insurer:[A-Za-z0-9_-]{43}$/);
    redis.disconnect();
    expect(names.length).toBeGreaterThan(0);
    let inspected = 0;
    for (const name of names) {
      const queue = new Queue(name, { connection: { url: TEST_REDIS_URL }, prefix: 'ptest-phi' });
      const jobs = await queue.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']);
      await queue.close();
      for (const job of jobs) {
        inspected++;
        // ids only: of claims, responses and requests, or of a registered insurer (registry sync and insurer poll jobs)
        for (const value of Object.values(job.data as Record<string, unknown>)) expect(String(value)).toMatch(/^[0-9a-f-]{36}$|^demo-(insurer|mutuelle|openimis|ipm-json|mutuelle-csv)$/);
      }
    }
    expect(inspected).toBeGreaterThanOrEqual(ids.length);
  }, 30_000);
});
