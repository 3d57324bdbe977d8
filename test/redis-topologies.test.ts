/**
 * The gateway on the Redis topologies a national deployment runs: a master watched by Sentinels
 * (redis+sentinel://: the gateway asks them which server is the master, and follows a failover) and a Redis Cluster
 * (redis+cluster://, with a hash-tagged QUEUE_PREFIX so each queue's keys share a slot). Real
 * redis-server processes in both modes, started and stopped here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { answers, checkEvictionPolicy, freePort, topologyOf } from '../gateway/queue/redis.js';
import { loadConfig } from '../gateway/config.js';
import { claimBundle, eventually, startTestGateway, type TestGateway, claimIdOf } from './harness.js';

const processes: ChildProcess[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'passerelle-redis-topologies-'));
});
afterAll(async () => {
  await Promise.all(processes.map((p) => stop(p)));
  rmSync(dir, { recursive: true, force: true });
});

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** A redis-server on a free port with these extra arguments; resolves once it answers, fails if it exits. */
async function redisServer(args: string[] = [], config?: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  // A folder each: a replica's copy of its master's data must not be loaded by a cluster node started later.
  const own = mkdtempSync(join(dir, `redis-${port}-`));
  const argv = config ? [config, '--port', String(port), ...args] : ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', own, ...args];
  const child = spawn('redis-server', argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: own });
  processes.push(child);
  for (let i = 0; i < 100 && child.exitCode === null && !(await answers(`redis://127.0.0.1:${port}`)); i++) await new Promise((r) => setTimeout(r, 50));
  if (child.exitCode !== null || !(await answers(`redis://127.0.0.1:${port}`))) throw new Error(`redis-server ${argv.join(' ')} did not start (exit code ${child.exitCode})`);
  return { port, child };
}

/** A cluster node: its bus port chosen too, as port + 10000 (Redis's default) is past 65535 for high free ports. */
async function clusterNode(i: number): Promise<{ port: number; child: ChildProcess }> {
  return redisServer(['--cluster-enabled', 'yes', '--cluster-port', String(await freePort()), '--cluster-config-file', `nodes-${i}.conf`, '--maxmemory-policy', 'noeviction']);
}

/** The replication role (master or slave) of the server on this port, asked once with a deadline. */
async function roleOf(port: number): Promise<string | undefined> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return /role:(\w+)/.exec(await probe.info('replication'))?.[1];
  } finally {
    probe.disconnect();
  }
}

/** The CLUSTER INFO of the node on this port, asked once with a deadline. */
async function clusterInfo(port: number): Promise<string> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.cluster('INFO')) as string;
  } finally {
    probe.disconnect();
  }
}

/** A master, its replica, and one Sentinel watching them (quorum 1, quick failover); the URL names the Sentinel. */
async function sentinelWatched() {
  const master = await redisServer(['--maxmemory-policy', 'noeviction']);
  const replica = await redisServer(['--maxmemory-policy', 'noeviction', '--replicaof', '127.0.0.1', String(master.port)]);
  const sentinelConfig = join(mkdtempSync(join(dir, 'sentinel-')), 'sentinel.conf');
  writeFileSync(sentinelConfig, [
    'bind 127.0.0.1', `dir ${dir}`,
    `sentinel monitor passerelle 127.0.0.1 ${master.port} 1`,
    'sentinel down-after-milliseconds passerelle 1000', 'sentinel failover-timeout passerelle 5000', '',
  ].join('\n'));
  const sentinel = await redisServer(['--sentinel'], sentinelConfig);
  return { master, replica, url: `redis+sentinel://127.0.0.1:${sentinel.port}/passerelle` };
}

/** Runs work on a gateway whose REDIS_URL is this, then stops the gateway: resolves to how long stopping took. */
async function stopTimeAfter(url: string, work: (gw: TestGateway) => Promise<void>): Promise<number> {
  const gw = await startTestGateway({ env: { REDIS_URL: url } });
  try {
    await work(gw);
  } catch (err) {
    await gw.stop();
    throw err;
  }
  const closing = Date.now();
  await gw.stop();
  return Date.now() - closing;
}

async function claimGoesThrough(gw: TestGateway): Promise<void> {
  const answer = await gw.submit(claimBundle());
  expect(answer.status).toBe(202);
  await gw.waitForStatus(claimIdOf(answer), ['complete'], 'demo-clinic', 30_000);
}

describe('REDIS_URL topologies', () => {
  it('reads sentinel and cluster URLs, and asks a hash-tagged prefix of a cluster', () => {
    expect(topologyOf('redis://127.0.0.1:6379')).toBeUndefined();
    expect(topologyOf('redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2/mymaster')).toEqual({
      kind: 'sentinel', nodes: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }], name: 'mymaster', password: 's3cret',
    });
    expect(topologyOf('redis+cluster://10.0.0.1:7000,10.0.0.2:7001')).toEqual({ kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }] });
    expect(() => topologyOf('redis+sentinel://10.0.0.1:26379')).toThrow(/name the master/);
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.1:7000', QUEUE_PREFIX: 'passerelle' })).toThrow(/hash tag/);
    expect(loadConfig({ REDIS_URL: 'redis+cluster://10.0.0.1:7000', QUEUE_PREFIX: '{passerelle}' }).queuePrefix).toBe('{passerelle}');
    expect(() => loadConfig({ QUEUE_PREFIX: '{a}{b}' })).toThrow(/QUEUE_PREFIX/);
  });

  it('runs claims through the master a Sentinel names, and through its replica once the Sentinel promotes it', async () => {
    const { master, replica, url } = await sentinelWatched();
    expect(await answers(url)).toBe(true);
    await checkEvictionPolicy(url);

    const stopMs = await stopTimeAfter(url, async (gw) => {
      await claimGoesThrough(gw);
      // The master dies: the Sentinel promotes the replica, and every connection follows it.
      await stop(master.child);
      await eventually(async () => expect(await roleOf(replica.port)).toBe('master'), 30_000);
      await claimGoesThrough(gw);
      await claimGoesThrough(gw);
    });
    // Closing after a failover is as quick as before it (ioredis's Sentinel retries end with the connections).
    expect(stopMs).toBeLessThan(10_000);
  }, 90_000);

  it('stops quickly while the Sentinel is still failing over, its connections waiting for a master', async () => {
    const { master, url } = await sentinelWatched();
    const stopMs = await stopTimeAfter(url, async (gw) => {
      await claimGoesThrough(gw);
      await stop(master.child);
      await new Promise((r) => setTimeout(r, 500)); // the connections lose the master; the Sentinel has not yet promoted its replica
    });
    expect(stopMs).toBeLessThan(10_000);
  }, 90_000);

  it('runs claims on a Redis Cluster with a hash-tagged queue prefix', async () => {
    const nodes: Array<{ port: number; child: ChildProcess }> = [];
    for (let i = 0; i < 3; i++) nodes.push(await clusterNode(i));
    const url = `redis+cluster://${nodes.slice(0, 2).map((n) => `127.0.0.1:${n.port}`).join(',')}`;
    // Nodes not yet given their slots: a gateway then refuses to start rather than waiting for ever.
    const started = Date.now();
    expect(await answers(url)).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    expect({ status: created.status, output: created.status === 0 ? '' : created.stdout + created.stderr }).toEqual({ status: 0, output: '' });
    // Every node, not only the first: a client whose first slots refresh meets a node that does not know
    // all the slots yet is not ready (the gateway then refuses to start: "does not answer").
    for (const node of nodes) await eventually(async () => expect(await clusterInfo(node.port)).toMatch(/cluster_state:ok/), 20_000);
    await checkEvictionPolicy(url);
    const gw = await startTestGateway({ env: { REDIS_URL: url, QUEUE_PREFIX: `{ptest-${randomBytes(4).toString('hex')}}` } });
    try {
      await claimGoesThrough(gw);
      await claimGoesThrough(gw);
    } finally {
      await gw.stop();
    }
  }, 90_000);
});
