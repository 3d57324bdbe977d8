/**
 * The deployment the end-to-end benchmark measures, made of real processes on a fresh PostgreSQL
 * database and a Redis key prefix of its own: the sandbox insurer started once on its own
 * (`node dist/sandbox/main.js`), and gateway processes (scripts/gateway.sh, as npm start) in production
 * mode, in whatever roles a phase asks for, sharing the database and Redis. Participants come from a
 * seed file every gateway process applies at start (an upsert): a provider client with a hashed secret
 * and one insurer on the generic FHIR adapter whose baseUrl is the shared sandbox; no eligibility
 * check and no insurer profile pack. No process runs in demo mode, so none starts a sandbox of its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { hashSecret } from '../../gateway/auth/secrets.js';
import { openDatabase, type Database } from '../../gateway/store/database.js';
import { migrate } from '../../gateway/store/migrate.js';
import { createBenchDatabase } from '../eligibility/database.js';
import { clientToken, freePort, removeQueueKeys, startGatewayProcess, startSandboxProcess, type ServiceProcess } from '../harness/gateway-process.js';
import type { CpuSource } from './cpu.js';

export const PROVIDER_ID = 'bench-clinic';
export const INSURER_ID = 'bench-ipm';
/** The sandbox insurer the gateway's insurer is wired to (the sandbox's default seed). */
const SANDBOX_INSURER = 'demo-insurer';
const PROVIDER_SECRET = `bench-${randomBytes(12).toString('hex')}`;
/** The default (6,000 a minute per participant) would throttle the load; the limiter still runs, in Redis. */
export const RATE_LIMIT_PER_MINUTE = 100_000_000;
/** The benchmark's own connections, told apart from the gateway's in pg_stat_activity. */
const BENCH_APPLICATION = 'passerelle-bench';

export type Role = 'all' | 'api' | 'worker';

export interface DeploymentOptions {
  readonly root: string;
  /** Work folder: seed file, logs, data folders. */
  readonly work: string;
  readonly redisUrl: string;
  /** DELIVERY_CONCURRENCY of worker processes. */
  readonly deliveryConcurrency: number;
  /** Node flags for gateway processes (CPU profiles). */
  readonly nodeArgs?: readonly string[];
  readonly log: (line: string) => void;
}

/** A running deployment; close() stops every process, drops the database and deletes the Redis keys. */
export interface Deployment {
  readonly db: Database;
  readonly databaseUrl: string;
  readonly queuePrefix: string;
  readonly sandbox: ServiceProcess;
  /** Starts a gateway process in this role; API roles listen on a free port. */
  startGateway(role: Role, name: string): Promise<ServiceProcess>;
  /** Every gateway process started so far, running or not. */
  gateways(): readonly ServiceProcess[];
  /** A bearer token of the provider from this API process. */
  providerToken(api: ServiceProcess): Promise<string>;
  /**
   * The processes whose CPU a phase uses: these gateway processes (by part name), PostgreSQL's
   * backends serving the gateway on this database and the server's own processes (WAL writer,
   * checkpointer...), Redis and the sandbox when they run on this machine, and the benchmark process.
   */
  cpuSources(gateways: ReadonlyArray<readonly [string, ServiceProcess]>): Promise<CpuSource[]>;
  close(): Promise<void>;
}

/** Sets the deployment up (see the module comment). */
export async function openDeployment(options: DeploymentOptions): Promise<Deployment> {
  const queuePrefix = `bench-e2e-${randomBytes(4).toString('hex')}`;
  const logDir = join(options.work, 'logs');
  mkdirSync(logDir, { recursive: true });
  const database = await createBenchDatabase();
  const started: ServiceProcess[] = [];
  const gateways: ServiceProcess[] = [];
  let db: Database | undefined;
  const close = async () => {
    await Promise.allSettled(started.map((p) => p.stop()));
    await db?.close().catch(() => undefined);
    await database.drop().catch((err: Error) => options.log(`end-to-end: could not drop the database: ${err.message}`));
    await removeQueueKeys(queuePrefix, options.redisUrl).catch((err: Error) => options.log(`end-to-end: could not delete Redis keys ${queuePrefix}:*: ${err.message}`));
  };
  try {
    const own = new URL(database.url);
    own.searchParams.set('application_name', BENCH_APPLICATION);
    db = await openDatabase({ databaseUrl: own.toString(), dataDir: options.work });
    const opened = db;
    const redisPid = await localRedisPid(options.redisUrl);
    await migrate(db);
    const sandboxPort = await freePort();
    const sandbox = await startSandboxProcess({
      root: options.root, name: 'sandbox', logDir,
      env: { SANDBOX_PORT: String(sandboxPort), SANDBOX_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    started.push(sandbox);
    const seedFile = join(options.work, 'seed.json');
    writeFileSync(seedFile, JSON.stringify(await seed(sandbox.url!), null, 2));
    const environment = (role: Role, port: number | undefined, name: string): Record<string, string> => ({
      PASSERELLE_MODE: 'production', PASSERELLE_ROLE: role, HOST: '127.0.0.1', ...(port === undefined ? {} : { PORT: String(port) }),
      DATABASE_URL: database.url, REDIS_URL: options.redisUrl, QUEUE_PREFIX: queuePrefix, SEED_FILE: seedFile,
      CLIENT_SECRETS_ENABLED: 'true', RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
      DELIVERY_CONCURRENCY: String(options.deliveryConcurrency), DATA_DIR: join(options.work, 'data', name), LOG_LEVEL: 'info',
    });
    const deployment: Deployment = {
      db, databaseUrl: database.url, queuePrefix, sandbox,
      async startGateway(role, name) {
        const port = role === 'worker' ? undefined : await freePort();
        const gateway = await startGatewayProcess({ root: options.root, name, logDir, env: environment(role, port, name), ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}) });
        started.push(gateway);
        gateways.push(gateway);
        return gateway;
      },
      gateways: () => [...gateways],
      providerToken: (api) => clientToken(api.url!, PROVIDER_ID, PROVIDER_SECRET),
      async cpuSources(gateways) {
        // Backends of this database (not the benchmark's own), and the server's own processes (WAL writer, checkpointer...), which work for every database.
        const { rows } = await opened.query<{ pid: number; own: boolean }>(
          `select pid, datname is null as own from pg_stat_activity
            where (datname = current_database() and application_name <> $1) or (datname is null and backend_type <> 'client backend')`, [BENCH_APPLICATION]);
        return [
          ...gateways.map(([part, p]) => ({ part, pid: p.pid })),
          ...rows.filter((r) => isLocal(r.pid, 'postgres')).map((r) => ({ part: r.own ? 'PostgreSQL server processes' : 'PostgreSQL backends', pid: r.pid })),
          ...(redisPid ? [{ part: 'Redis', pid: redisPid }] : []),
          { part: 'sandbox insurer', pid: sandbox.pid },
          { part: 'benchmark process (load generator, polling)', pid: process.pid },
        ];
      },
      close,
    };
    return deployment;
  } catch (err) {
    await close();
    throw err;
  }
}

async function seed(sandboxUrl: string): Promise<unknown> {
  return {
    participants: [
      { id: PROVIDER_ID, kind: 'provider', name: 'Clinique (benchmark)', clients: [{ clientId: PROVIDER_ID, secretHash: await hashSecret(PROVIDER_SECRET) }] },
      { id: INSURER_ID, kind: 'insurer', name: 'IPM (benchmark, sandbox)', adapter: 'fhir', adapterSettings: { baseUrl: `${sandboxUrl}/${SANDBOX_INSURER}/fhir` } },
    ],
  };
}

/** The pid of Redis when it runs on this machine (its INFO names a local redis-server process), else undefined. */
async function localRedisPid(redisUrl: string): Promise<number | undefined> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const pid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
    return Number.isInteger(pid) && isLocal(pid, 'redis') ? pid : undefined;
  } finally {
    redis.disconnect();
  }
}

/** Whether pid is a process of this machine whose command name starts with name. */
function isLocal(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith(name);
  } catch {
    return false;
  }
}
