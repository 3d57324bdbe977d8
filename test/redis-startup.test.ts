/**
 * Start-up checks of the queue's Redis: an evicting Redis is refused, a dead REDIS_URL is reported, and
 * with nothing configured and nothing answering, a private redis-server is started under the data
 * directory with its append-only file on (and reused by the next start).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLogger } from '../gateway/logger.js';
import { answers, freePort, openRedis, RedisUnavailableError } from '../gateway/queue/redis.js';

const logger = createLogger('silent');
let dataDir: string;
const children: ChildProcess[] = [];

async function redisServer(args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args], { stdio: 'ignore' });
  children.push(child);
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 50));
  return url;
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'passerelle-redis-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Redis at start-up', () => {
  it('refuses a Redis whose maxmemory-policy may evict jobs, saying why and how to fix it', async () => {
    const url = await redisServer(['--maxmemory-policy', 'allkeys-lru']);
    const attempt = openRedis({ redisUrl: url, dataDir, logger });
    await expect(attempt).rejects.toThrow(RedisUnavailableError);
    await expect(attempt).rejects.toThrow(/maxmemory-policy "allkeys-lru".*noeviction.*CONFIG SET maxmemory-policy noeviction/);
  });

  it('reports a REDIS_URL where nothing answers', async () => {
    const port = await freePort();
    await expect(openRedis({ redisUrl: `redis://127.0.0.1:${port}`, dataDir, logger })).rejects.toThrow(/does not answer/);
  });

  it('accepts a noeviction Redis and opens producer and worker connections to it', async () => {
    const url = await redisServer(['--maxmemory-policy', 'noeviction']);
    const redis = await openRedis({ redisUrl: url, dataDir, logger });
    expect(redis.private).toBe(false);
    expect(await redis.producerConnection().ping()).toBe('PONG');
    expect(await redis.workerConnection().ping()).toBe('PONG');
    await redis.close();
    await redis.close();
  });

  it('starts a private redis-server with append-only file when nothing is configured or answering, and reuses it', async () => {
    const nothingHere = `redis://127.0.0.1:${await freePort()}`;
    const first = await openRedis({ dataDir, logger, defaultUrl: nothingHere });
    expect(first.private).toBe(true);
    const client = new Redis(first.url);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await client.config('GET', 'dir')).toEqual(['dir', join(dataDir, 'redis')]);
    client.disconnect();
    expect(readFileSync(join(dataDir, 'redis', 'port'), 'utf8')).toBe(first.url.split(':').pop());
    // A second start while the first Redis still runs (say, the first gateway was killed) reuses it.
    const second = await openRedis({ dataDir, logger, defaultUrl: nothingHere });
    expect(second.url).toBe(first.url);
    await second.close();
    expect(await answers(first.url)).toBe(true);
    await first.close();
    expect(await answers(first.url)).toBe(false);
  });
});
