/**
 * Accept-then-enqueue survives Redis being down: the claim is stored with its job in the outbox, the
 * provider still gets 202, and once Redis is back the outbox relay queues it and it is delivered. A
 * Redis that hangs delays the claim's job, not its 202. A gateway stopped while Redis is down stops at
 * once instead of waiting for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { answers, connect, freePort } from '../gateway/queue/redis.js';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';

let port: number;
let redis: ChildProcess | undefined;
let gw: TestGateway;

/** A redis-server without persistence on this port; resolves once it answers. */
async function redisServer(on: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(on), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await answers(`redis://127.0.0.1:${on}`)); i++) await new Promise((r) => setTimeout(r, 50));
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function startRedis(): Promise<void> {
  redis = await redisServer(port);
}

async function stopRedis(): Promise<void> {
  await kill(redis!);
}

beforeAll(async () => {
  port = await freePort();
  await startRedis();
  gw = await startTestGateway({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
});
afterAll(async () => {
  await gw?.stop();
  redis?.kill('SIGKILL');
});

describe('Redis outage', () => {
  it('accepts claims while Redis is down and delivers them when it is back', async () => {
    await gw.waitForStatus((await submitted(gw)).claimId, ['complete']); // healthy first
    await stopRedis();
    const started = Date.now();
    const { answer, claimId } = await submitted(gw);
    expect(answer.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await outboxState(claimId)).toEqual([{ status: 'queued', dispatched: false }]); // queued in the outbox, for the relay
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    // Eligibility needs no Redis: the synced registry is in PostgreSQL, and a live insurer is asked without its cache.
    for (const [insurer, member] of [['demo-mutuelle', 'C0001'], ['demo-insurer', 'M0077']]) {
      const question = readFileSync(new URL('./fixtures/eligibility-request-covered-member.json', import.meta.url), 'utf8')
        .replaceAll('TODAY', new Date().toISOString().slice(0, 10)).replaceAll('demo-insurer', insurer!).replaceAll('M0001', member!);
      const eligibility = await fetch(`${gw.url}/fhir/CoverageEligibilityRequest/$submit`, {
        method: 'POST', body: question, headers: { Authorization: `Bearer ${await gw.token('demo-clinic')}`, 'Content-Type': 'application/fhir+json' },
      });
      expect({ insurer, status: eligibility.status, body: await eligibility.json() }).toMatchObject({ insurer, status: 200, body: { outcome: 'complete', insurance: [{ inforce: true }] } });
    }
    await startRedis();
    await gw.waitForStatus(claimId, ['complete'], 'demo-clinic', 30_000);
  }, 60_000);

  it('answers an accepted claim without waiting for its job to reach Redis: a hung Redis delays the job, not the 202', async () => {
    await gw.token('demo-clinic'); // fetched while Redis answers
    redis!.kill('SIGSTOP'); // up, but answering nothing: the producer would wait 5 s for its addBulk
    let claimId: string;
    try {
      const started = Date.now();
      const submission = await submitted(gw);
      claimId = submission.claimId;
      expect(submission.answer.status).toBe(202);
      // The rate limit and the eligibility cache give up on Redis after 250 ms each; the job's add is not waited for.
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await outboxState(claimId)).toEqual([{ status: 'queued', dispatched: false }]);
    } finally {
      redis!.kill('SIGCONT');
    }
    await eventually(async () => expect((await outboxState(claimId))[0]?.dispatched).toBe(true));
    await gw.waitForStatus(claimId, ['complete'], 'demo-clinic', 30_000);
  }, 60_000);

  it('ends a connection disconnected while it waits to reconnect, and the duplicates made of it', async () => {
    const nowhere = await freePort();
    const connection = connect(`redis://127.0.0.1:${nowhere}`, { maxRetriesPerRequest: null, retryStrategy: () => 500 }) as Redis;
    const copy = connection.duplicate();
    for (const c of [connection, copy]) c.on('error', () => undefined);
    await Promise.all([connection, copy].map((c) => new Promise((resolve) => c.once('reconnecting', resolve))));
    const queued = connection.get('k'); // waits in the offline queue
    const ended = [connection, copy].map((c) => new Promise((resolve) => c.once('end', resolve)));
    connection.disconnect();
    copy.disconnect();
    await expect(queued).rejects.toThrow(/Connection is closed/);
    await Promise.all(ended);
    expect([connection.status, copy.status]).toEqual(['end', 'end']);
  });

  it('stops quickly while Redis is down, its workers\' connections waiting to reconnect', async () => {
    const down = await freePort();
    const own = await redisServer(down);
    const stopping = await startTestGateway({ env: { REDIS_URL: `redis://127.0.0.1:${down}` } });
    await kill(own);
    await new Promise((r) => setTimeout(r, 1500)); // the connections notice, and wait to reconnect
    const closing = Date.now();
    await stopping.stop();
    expect(Date.now() - closing).toBeLessThan(5000);
  }, 60_000);
});

/** The claim's status and whether its delivery job reached Redis, from the outbox. */
async function outboxState(claimId: string) {
  const { rows } = await gw.passerelle.db.query<{ status: string; dispatched: boolean }>(
    `select c.status, o.dispatched_at is not null as dispatched from claims c join outbox o on o.payload->>'claimId' = c.id::text where c.id = $1`, [claimId]);
  return rows;
}

async function submitted(gateway: TestGateway) {
  const answer = await gateway.submit(claimBundle());
  return { answer, claimId: answer.headers.get('location')!.split('/Claim/')[1]! };
}
