/**
 * Finds the Redis the queues run on and checks it can hold jobs safely. With REDIS_URL unset and nothing
 * answering on the default address, a private redis-server is started under the data directory
 * (append-only file on), so a newcomer needs no set-up; its port is remembered there for the next start.
 *
 * REDIS_URL names one Redis (redis://, rediss://), the master a set of Sentinels watches
 * (redis+sentinel://[:password@]host:port[,host:port...]/<master name>: connections follow a failover),
 * or a Redis Cluster (redis+cluster://[:password@]host:port[,host:port...]: BullMQ then needs a
 * QUEUE_PREFIX with a hash tag, e.g. {passerelle}, so that each queue's keys share a slot).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** A Redis connection: one server (or a Sentinel-watched master), or a Cluster; both speak the commands used. */
export type RedisConnection = Redis | Cluster;

interface Topology {
  readonly kind: 'sentinel' | 'cluster';
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  readonly name?: string;
  readonly password?: string;
}

/** The Sentinel or Cluster a redis+sentinel:// or redis+cluster:// URL names; undefined for a plain redis:// URL. */
export function topologyOf(url: string): Topology | undefined {
  const match = /^redis\+(sentinel|cluster):\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/?#]+)(?:\/([^/?#]*))?\/?$/.exec(url);
  if (!match) return undefined;
  const [, kind, password, hosts, name] = match;
  const nodes = hosts!.split(',').map((h) => {
    const [host, port] = h.split(':');
    return { host: host!, port: Number(port ?? (kind === 'sentinel' ? 26379 : 6379)) };
  });
  if (nodes.some((n) => !n.host || !Number.isInteger(n.port) || n.port < 1 || n.port > 65535)) throw new RedisUnavailableError(`REDIS_URL ${redact(url)}: give host:port pairs separated by commas`);
  if (kind === 'sentinel' && !name) throw new RedisUnavailableError(`REDIS_URL ${redact(url)}: name the master the Sentinels watch after the hosts (/mymaster)`);
  return { kind: kind as Topology['kind'], nodes, ...(name ? { name: decodeURIComponent(name) } : {}), ...(password ? { password: decodeURIComponent(password) } : {}) };
}

/** Opens a connection to what a REDIS_URL names, with these options; `duplicated` is told of each copy made of it. */
export function connect(url: string, opts: RedisOptions, duplicated?: (copy: Redis) => void): RedisConnection {
  const topology = topologyOf(url);
  if (!topology) return endsWhenDisconnected(new Redis(url, opts), duplicated);
  const auth = topology.password ? { password: topology.password } : {};
  if (topology.kind === 'sentinel') {
    return endsWhenDisconnected(new Redis({ ...opts, ...auth, sentinels: [...topology.nodes], name: topology.name!, ...(topology.password ? { sentinelPassword: topology.password } : {}) }), duplicated);
  }
  // BullMQ's workers need maxRetriesPerRequest null on the nodes' connections too. The offline queue is the
  // Cluster's own: a node connection without one fails the CLUSTER SLOTS of a slots refresh sent while it
  // is still connecting (ioredis#581), and the Cluster then keeps refreshing instead of becoming ready.
  const { enableOfflineQueue, lazyConnect, ...nodeOptions } = opts;
  return new Cluster([...topology.nodes], { redisOptions: { ...nodeOptions, ...auth }, lazyConnect, enableOfflineQueue });
}

/**
 * A connection that ends when it is disconnected while it waits to reconnect. ioredis 6 then only clears
 * its reconnect timer: no stream is left to close, so the connection stays "reconnecting" for ever, emits
 * no "end", and keeps its queued commands (redis/ioredis#1247; fix proposed in #2169). BullMQ's
 * Worker.close() waits for that "end" on its blocking connection, so a gateway stopped while Redis was
 * down or a Sentinel was failing over hung until the shutdown deadline. Here such a connection ends as
 * ioredis ends one closed by hand: status "end", queued commands rejected. Its duplicates (BullMQ's
 * blocking connections) get the same, and are handed to `duplicated`.
 */
export function endsWhenDisconnected(connection: Redis, duplicated: (copy: Redis) => void = () => undefined): Redis {
  const internals = connection as unknown as { manuallyClosing: boolean; setStatus(status: string): void; flushQueue(error: Error): void };
  const disconnect = connection.disconnect.bind(connection);
  connection.disconnect = (reconnect = false) => {
    const stranded = !reconnect && connection.status === 'reconnecting';
    disconnect(reconnect);
    if (stranded) {
      // What ioredis's own close handler does for a connection closed by hand (it may be connected again).
      internals.manuallyClosing = false;
      internals.setStatus('end');
      internals.flushQueue(new Error('Connection is closed.'));
    }
  };
  const duplicate = connection.duplicate.bind(connection);
  connection.duplicate = (override) => {
    const copy = endsWhenDisconnected(duplicate(override), duplicated);
    duplicated(copy);
    return copy;
  };
  return connection;
}

/**
 * The longest a request waits for one Redis command that it can do without (a cache read, a rate-limit
 * count with its in-process fallback): a Redis that hangs costs a request this much, not the 5 s a job's add waits.
 */
export const REQUEST_PATH_COMMAND_TIMEOUT_MS = 250;

/** A reachable, checked Redis and the means to open connections to it. */
export interface RedisHandle {
  readonly url: string;
  readonly private: boolean;
  /**
   * Producer connections fail fast when Redis is down (one retry, ~100 ms), so the API answers instead of
   * hanging; commands sent while the connection is still being made wait for it. A command Redis does not
   * answer fails after commandTimeoutMs (5 s by default: a job's add; the rate limiter, whose in-process
   * fallback then counts, gives it REQUEST_PATH_COMMAND_TIMEOUT_MS).
   */
  producerConnection(options?: { readonly commandTimeoutMs?: number }): RedisConnection;
  /** Cache connections fail at once when Redis is away (no offline queue, REQUEST_PATH_COMMAND_TIMEOUT_MS per command): a cache never slows a request. */
  cacheConnection(): RedisConnection;
  /** Worker connections wait and retry forever, as BullMQ workers require. */
  workerConnection(): RedisConnection;
  /**
   * Ends every connection opened here, and every copy BullMQ made of one, that is not connected: one
   * waiting for a Redis that is down or failing over. Closing workers calls it first. BullMQ's
   * Worker.close() otherwise waits for ever on a blocking connection still being set up (its disconnect
   * awaits the connection's start), and no job can finish over such a connection anyway: a job cut short
   * is picked up again as stalled.
   */
  endUnconnected(): void;
  close(): Promise<void>;
}

/** Thrown when no usable Redis can be found or started; the message says what to do. */
export class RedisUnavailableError extends Error {}

/** Connects to the configured Redis, or the default one, or a private one; checks the eviction policy. */
export async function openRedis(options: { redisUrl?: string; dataDir: string; logger: Logger; defaultUrl?: string }): Promise<RedisHandle> {
  const { logger } = options;
  const defaultUrl = options.defaultUrl ?? DEFAULT_REDIS_URL;
  if (options.redisUrl) {
    if (!(await answers(options.redisUrl))) {
      throw new RedisUnavailableError(`Redis at ${redact(options.redisUrl)} does not answer: start it or correct REDIS_URL`);
    }
    await checkEvictionPolicy(options.redisUrl);
    return handle(options.redisUrl, undefined);
  }
  if (await answers(defaultUrl)) {
    await checkEvictionPolicy(defaultUrl);
    return handle(defaultUrl, undefined);
  }
  const started = await startPrivateRedis(join(options.dataDir, 'redis'), logger, defaultUrl);
  await checkEvictionPolicy(started.url);
  return handle(started.url, started.child);
}

function handle(url: string, child: ChildProcess | undefined): RedisHandle {
  const connections: RedisConnection[] = [];
  let closed = false;
  // Behind Sentinels, ioredis 6 asks them for the master round after round until one answers, even for a
  // connection closed meanwhile (a BullMQ worker closed while its connection follows a failover), which
  // then never ends. A few rounds at a time instead: the connection's own retryStrategy starts the next
  // rounds for a connection still in use, and nothing is left running for one closed.
  const sentinelRetryStrategy = (times: number) => (closed || times > 5 ? null : times * 200);
  const open = (opts: RedisOptions): RedisConnection => {
    const connection = connect(url, { ...opts, sentinelRetryStrategy }, (copy) => connections.push(copy));
    connection.on('error', () => undefined); // reconnects by itself; failures surface on commands
    connections.push(connection);
    return connection;
  };
  return {
    url,
    private: child !== undefined,
    producerConnection: (options) => open({ maxRetriesPerRequest: 1, commandTimeout: options?.commandTimeoutMs ?? 5000, connectTimeout: 2000 }),
    workerConnection: () => open({ maxRetriesPerRequest: null }),
    cacheConnection: () => open({ enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: REQUEST_PATH_COMMAND_TIMEOUT_MS, connectTimeout: 1000 }),
    endUnconnected: () => {
      for (const c of connections) if (!['ready', 'connect', 'end'].includes(c.status)) c.disconnect();
    },
    close: async () => {
      closed = true;
      // disconnect() after quit(): it also stops what quit() leaves running (a Sentinel connection's failover detector).
      // A connection not ready is disconnected at once: its quit() would wait in the offline queue for a
      // Redis that may not come back.
      await Promise.allSettled(connections.splice(0).map((c) => (c.status === 'ready' ? c.quit().catch(() => undefined) : Promise.resolve()).finally(() => c.disconnect())));
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/**
 * Settles like work, or rejects after ms. A Cluster's connect() can wait for ever: when its first slots
 * refresh finds a cluster whose nodes do not all know the slots yet (just created, or re-forming), it
 * neither becomes ready nor fails (seen with ioredis 6 on a cluster a second old).
 */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms); });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when a Redis at this URL answers PING within a few seconds (a Cluster: once its slots are known). */
export async function answers(url: string): Promise<boolean> {
  const probe = connect(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, sentinelRetryStrategy: () => null, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  try {
    return (await within(3000, 'PING', probe.connect().then(() => probe.ping()))) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Refuses a Redis that may evict keys: an evicted job is a lost claim. A Cluster: every master. */
export async function checkEvictionPolicy(url: string): Promise<void> {
  const client = connect(url, { maxRetriesPerRequest: 1, lazyConnect: true, sentinelRetryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    const policies = await within(5000, 'CONFIG GET maxmemory-policy', client.connect().then(() => {
      const servers = client instanceof Cluster ? client.nodes('master') : [client];
      return Promise.all(servers.map(async (server) => ((await server.config('GET', 'maxmemory-policy')) as string[])[1]));
    }));
    const policy = policies.find((p) => p !== 'noeviction') ?? 'noeviction';
    if (policies.length === 0 || policy !== 'noeviction') {
      throw new RedisUnavailableError(
        `Redis at ${redact(url)} has maxmemory-policy "${policy ?? 'unknown'}"; Passerelle needs "noeviction" ` +
          'so that queued claims are never evicted. Set it with: redis-cli CONFIG SET maxmemory-policy noeviction ' +
          '(and in redis.conf).',
      );
    }
  } catch (err) {
    if (err instanceof RedisUnavailableError) throw err;
    throw new RedisUnavailableError(`Could not read maxmemory-policy from Redis at ${redact(url)}: ${(err as Error).message}`);
  } finally {
    client.disconnect();
  }
}

/** Starts redis-server with data under dir, or reuses the one a previous run left there. */
async function startPrivateRedis(dir: string, logger: Logger, defaultUrl: string): Promise<{ url: string; child?: ChildProcess }> {
  mkdirSync(dir, { recursive: true });
  const portFile = join(dir, 'port');
  const previous = readPort(portFile);
  if (previous && (await answers(`redis://127.0.0.1:${previous}`))) {
    logger.info({ port: previous, dir }, 'reusing the private Redis left running under the data directory');
    return { url: `redis://127.0.0.1:${previous}` };
  }
  const binary = findOnPath('redis-server');
  if (!binary) {
    throw new RedisUnavailableError(
      `No Redis answers at ${defaultUrl} and no redis-server is on the PATH. Install one ` +
        '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a running Redis.',
    );
  }
  const port = await freePort();
  const child = spawn(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes',
    '--maxmemory-policy', 'noeviction', '--save', '', '--daemonize', 'no', '--logfile', join(dir, 'redis.log'),
  ], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await answers(url)) {
      writeFileSync(portFile, String(port));
      logger.info({ port, dir, binary }, 'no Redis answered and REDIS_URL is unset: started a private Redis (append-only file on)');
      return { url, child };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`The private redis-server did not start; see ${join(dir, 'redis.log')}`);
}

function readPort(file: string): number | undefined {
  try {
    const port = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*):([^@/]*)@/, '//$1:***@');
}
