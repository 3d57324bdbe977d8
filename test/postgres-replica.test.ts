/**
 * DATABASE_READ_URL: the operators' heavy reads (transaction log, insurer health, metrics) on a real
 * PostgreSQL hot standby, made here with initdb and pg_basebackup and fed by streaming replication;
 * everything else on the primary. When the replica stops, those reads go to the primary, and back to
 * the replica once it answers again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../gateway/config.js';
import { freePort } from '../gateway/queue/redis.js';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';

// The server's programs: Debian's newest installed PostgreSQL (as .ci/run installs), else pg_config's.
const DEBIAN = '/usr/lib/postgresql';
const BIN = existsSync(DEBIAN)
  ? join(DEBIAN, readdirSync(DEBIAN).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b)).at(-1)!, 'bin')
  : execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
// initdb and postgres refuse to run as root: as root, run them as the postgres system user.
const ROOT = process.getuid?.() === 0;
const owner = ROOT ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : undefined;

function run(binary: string, args: string[]): void {
  const [command, argv] = ROOT ? ['runuser', ['-u', 'postgres', '--', join(BIN, binary), ...args]] : [join(BIN, binary), args];
  const done = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 });
  if (done.status !== 0) throw new Error(`${binary} ${args.join(' ')} failed (${done.status}): ${done.stdout}${done.stderr}`);
}

let dir: string;
let primaryPort: number;
let replicaPort: number;
let gw: TestGateway | undefined;
const started: string[] = [];

const url = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

async function sql<R extends object>(port: number, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url(port) });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

/** The sessions of the gateway's read pool on the server at this port. */
async function readSessions(port: number): Promise<number> {
  return (await sql<{ n: number }>(port, `select count(*)::int as n from pg_stat_activity where application_name = 'passerelle-reads'`))[0]!.n;
}

function startServer(data: string): void {
  run('pg_ctl', ['-D', data, '-l', join(data, 'server.log'), '-w', '-t', '60', 'start']);
  started.push(data);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'passerelle-replica-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const primary = join(dir, 'primary');
  run('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  appendFileSync(primary + '/postgresql.conf', [
    `port = ${primaryPort}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`,
    'wal_level = replica', 'max_wal_senders = 4', 'fsync = off', 'hot_standby_feedback = on', '',
  ].join('\n'));
  startServer(primary);
  const replica = join(dir, 'replica');
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replica, '-R', '-X', 'stream']);
  appendFileSync(replica + '/postgresql.conf', `port = ${replicaPort}\n`);
  startServer(replica);
  expect(await sql(replicaPort, 'select pg_is_in_recovery() as standby')).toEqual([{ standby: true }]);
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  for (const data of started.reverse()) spawnSync(ROOT ? 'runuser' : join(BIN, 'pg_ctl'), ROOT ? ['-u', 'postgres', '--', join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'] : ['-D', data, '-m', 'immediate', 'stop']);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('DATABASE_READ_URL', () => {
  it('needs DATABASE_URL', () => {
    expect(() => loadConfig({ DATABASE_READ_URL: 'postgres://replica/passerelle' })).toThrow(/DATABASE_READ_URL names a replica of DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://primary/passerelle', DATABASE_READ_URL: 'mysql://replica' })).toThrow(/postgres:\/\/ URL/);
  });

  it('reads the transaction log and the metrics from the replica, and the claims themselves from the primary', async () => {
    gw = await startTestGateway({ env: { DATABASE_URL: url(primaryPort), DATABASE_READ_URL: url(replicaPort) } });
    const identifier = `REPLICA-${Date.now()}`;
    const answer = await gw.submit(claimBundle(undefined, { identifier }));
    expect(answer.status).toBe(202);
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    // Read back at once: the provider's own reads are on the primary (no replica lag).
    expect((await gw.get(`/fhir/Claim/${claimId}`)).status).toBe(200);

    await eventually(async () => {
      const log = await gw!.get(`/admin/transactions?identifier=${identifier}`, 'demo-operator');
      expect(log.body).toMatchObject({ total: 1, transactions: [{ id: claimId }] });
    });
    expect((await gw.get('/admin/insurer-health', 'demo-operator')).status).toBe(200);
    const metrics = await fetch(`${gw.url}/metrics`);
    expect(await metrics.text()).toMatch(/passerelle_claims\{status="[a-z]+"\} [1-9]/);
    expect(await readSessions(replicaPort)).toBeGreaterThan(0);
    expect(await readSessions(primaryPort)).toBe(0);
  }, 60_000);

  it('reads from the primary while the replica is down, and from the replica again once it is back', async () => {
    run('pg_ctl', ['-D', join(dir, 'replica'), '-m', 'immediate', 'stop']);
    started.splice(started.indexOf(join(dir, 'replica')), 1);
    const identifier = `REPLICA-DOWN-${Date.now()}`;
    const claimId = (await gw!.submit(claimBundle(undefined, { identifier }))).headers.get('location')!.split('/Claim/')[1]!;
    const log = await gw!.get(`/admin/transactions?identifier=${identifier}`, 'demo-operator');
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ total: 1, transactions: [{ id: claimId }] }); // from the primary: no lag at all
    expect((await gw!.get('/admin/insurer-health', 'demo-operator')).status).toBe(200);
    expect((await fetch(`${gw!.url}/metrics`)).status).toBe(200);

    startServer(join(dir, 'replica'));
    await eventually(async () => {
      await gw!.get('/admin/transactions?_count=1', 'demo-operator');
      expect(await readSessions(replicaPort)).toBeGreaterThan(0);
    }, 30_000);
  }, 90_000);
});
