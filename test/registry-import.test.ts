/**
 * Roster imports into the synced registry, on the real PostgreSQL (and once on the embedded PGlite):
 * CSV and NDJSON fixtures, bad rows, column mappings, upserts, full imports ending the coverages they
 * omit, delta imports ending nobody, a failing import leaving the registry as it was, refusals; then the
 * built `passerelle registry` command as a child process, for its exit codes and summaries.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, createReadStream, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MemberStore } from '../gateway/eligibility/member-store.js';
import { ImportFailedError, ImportRefusedError, importRoster, type ImportOptions } from '../gateway/eligibility/roster-import.js';
import { RosterFormatError } from '../gateway/eligibility/roster.js';
import { ParticipantRegistry } from '../gateway/participants/registry.js';
import { openDatabase, type Database } from '../gateway/store/database.js';
import { migrate } from '../gateway/store/migrate.js';
import { createTestDatabase } from './harness.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/rosters');
const SYSTEM = 'urn:test:member';

let insurers = 0;

/** A fresh synced insurer, so each test starts from an empty registry. */
async function newInsurer(db: Database): Promise<string> {
  const id = `ipm-test-${++insurers}`;
  await new ParticipantRegistry(db).upsert({
    id, kind: 'insurer', name: 'IPM Test', adapter: 'fhir', adapterSettings: { baseUrl: 'http://127.0.0.1:1/fhir' },
    eligibility: { mode: 'synced', memberSystem: SYSTEM, policy: 'reject' },
  });
  return id;
}

function importFixture(db: Database, insurerId: string, name: string, options: Partial<ImportOptions> = {}) {
  return importRoster(db, {
    insurerId, format: name.endsWith('.csv') ? 'csv' : 'ndjson', mode: 'full', input: createReadStream(join(FIXTURES, name)), sourceName: name, ...options,
  });
}

interface Row {
  coverage_id: string; member_id: string; plan: string | null; status: string; start: string | null; end: string | null;
  relationship: string | null; subscriber_id: string | null; ended: boolean; updated_at: string;
}

/** The registry of an insurer, everything that can change, by coverage id. */
async function registry(db: Database, insurerId: string): Promise<Row[]> {
  const { rows } = await db.query<Row>(
    `select coverage_id, member_id, plan, status, to_char(period_start, 'YYYY-MM-DD') as start, to_char(period_end, 'YYYY-MM-DD') as end,
            relationship, subscriber_id, ended_at is not null as ended, updated_at::text
     from registry_coverages where insurer_id = $1 order by coverage_id`, [insurerId]);
  return rows;
}

/** [coverage, member, status, start, end] of each row. */
const brief = (rows: Row[]) => rows.map((r) => [r.coverage_id, r.member_id, r.status, r.start, r.end]);

async function imports(db: Database, insurerId: string) {
  const { rows } = await db.query<{ status: string; rows_read: string; imported: string; invalid: string; ended: string; error: string | null; mode: string; source_name: string | null }>(
    'select status, rows_read, imported, invalid, ended, error, mode, source_name from registry_imports where insurer_id = $1 order by id', [insurerId]);
  return rows.map((r) => ({ ...r, rows_read: Number(r.rows_read), imported: Number(r.imported), invalid: Number(r.invalid), ended: Number(r.ended) }));
}

async function yesterday(db: Database): Promise<string> {
  const { rows } = await db.query<{ d: string }>(`select to_char(current_date - 1, 'YYYY-MM-DD') as d`);
  return rows[0]!.d;
}

/** A roster stream that fails after its first lines, as a disk or a network read can. */
async function* failingHalfWay(name: string, lines: number): AsyncGenerator<Buffer> {
  for (const line of readFileSync(join(FIXTURES, name), 'utf8').split('\n').slice(0, lines)) {
    yield Buffer.from(`${line}\n`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('read ECONNRESET');
}

/** The scenario run on both stores: import, re-import with changes and omissions, a member back, a failed import. */
async function fullImportCycle(db: Database): Promise<void> {
  const insurerId = await newInsurer(db);
  const first = await importFixture(db, insurerId, 'full-roster.csv');
  expect(first).toMatchObject({ rowsRead: 6, imported: 6, invalid: 0, ended: 0, errors: [] });
  expect(brief(await registry(db, insurerId))).toEqual([
    ['COV-0001', 'IPM-0001', 'active', '2025-01-01', '2030-12-31'],
    ['COV-0002', 'IPM-0002', 'active', '2025-01-01', '2030-12-31'],
    ['COV-0003', 'IPM-0003', 'active', '2025-01-01', '2030-12-31'],
    ['COV-0004', 'IPM-0004', 'active', '2025-03-01', null],
    ['COV-0005', 'IPM-0005', 'cancelled', '2024-01-01', '2024-12-31'],
    ['IPM-0006', 'IPM-0006', 'active', '2025-06-01', null],
  ]);

  // The next month's roster: COV-0001 changed, COV-0004 gone, COV-0007 new.
  const next = await importFixture(db, insurerId, 'full-roster-next.csv');
  expect(next).toMatchObject({ rowsRead: 6, imported: 6, invalid: 0, ended: 1 });
  const eve = await yesterday(db);
  const afterNext = await registry(db, insurerId);
  expect(brief(afterNext)).toEqual([
    ['COV-0001', 'IPM-0001', 'active', '2025-01-01', '2031-06-30'],
    ['COV-0002', 'IPM-0002', 'active', '2025-01-01', '2030-12-31'],
    ['COV-0003', 'IPM-0003', 'active', '2025-01-01', '2030-12-31'],
    ['COV-0004', 'IPM-0004', 'ended', '2025-03-01', eve],
    ['COV-0005', 'IPM-0005', 'cancelled', '2024-01-01', '2024-12-31'],
    ['COV-0007', 'IPM-0007', 'active', '2025-09-01', null],
    ['IPM-0006', 'IPM-0006', 'active', '2025-06-01', null],
  ]);
  expect(afterNext.find((r) => r.coverage_id === 'COV-0001')?.plan).toBe('IPM-PLUS');
  expect(afterNext.find((r) => r.coverage_id === 'COV-0004')?.ended).toBe(true);

  // A failing import changes nothing at all, even after some batches were written.
  const progress: number[] = [];
  const failed = importRoster(db, { insurerId, format: 'csv', mode: 'full', input: failingHalfWay('full-roster.csv', 5), batchSize: 2, onProgress: (_, rows) => progress.push(rows) });
  await expect(failed).rejects.toThrow(ImportFailedError);
  await expect(failed).rejects.toMatchObject({ message: 'read ECONNRESET', importId: expect.any(Number) });
  expect(Math.max(...progress)).toBeGreaterThanOrEqual(2); // batches were written before the failure
  expect(await registry(db, insurerId)).toEqual(afterNext);

  // The first roster again: COV-0004 is back, COV-0007 ended.
  const again = await importFixture(db, insurerId, 'full-roster.csv');
  expect(again).toMatchObject({ imported: 6, ended: 1 });
  const rows = await registry(db, insurerId);
  expect(rows.find((r) => r.coverage_id === 'COV-0004')).toMatchObject({ status: 'active', start: '2025-03-01', end: null, ended: false });
  expect(rows.find((r) => r.coverage_id === 'COV-0007')).toMatchObject({ status: 'ended', end: eve, ended: true });
  expect(rows).toHaveLength(7);
  expect((await imports(db, insurerId)).map((i) => [i.status, i.imported, i.ended, i.error])).toEqual([
    ['done', 6, 0, null], ['done', 6, 1, null], ['failed', 0, 0, 'read ECONNRESET'], ['done', 6, 1, null],
  ]);
}

describe('roster import on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Database;
  let dataDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'passerelle-roster-'));
    db = await openDatabase({ databaseUrl: database.url, dataDir });
    await migrate(db);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports, re-imports as an upsert, ends what a full roster omits, revives what comes back, and survives a failed import unchanged', async () => {
    await fullImportCycle(db);
  });

  it('imports a FHIR NDJSON export where each Patient precedes its Coverage', async () => {
    const insurerId = await newInsurer(db);
    const report = await importFixture(db, insurerId, 'patients-then-coverages.ndjson');
    expect(report).toMatchObject({ rowsRead: 4, imported: 4, invalid: 0, ended: 0 });
    expect(brief(await registry(db, insurerId))).toEqual([
      ['cov-NX-001', 'NX-001', 'active', '2025-01-01', '2030-12-31'],
      ['cov-NX-002', 'NX-002', 'active', '2025-01-01', '2030-12-31'],
      ['cov-NX-003', 'NX-003', 'cancelled', '2024-01-01', '2024-06-30'],
      ['cov-NX-004', 'NX-004', 'active', '2025-05-01', null],
    ]);
    const [found] = await new MemberStore(db).find(insurerId, 'NX-002');
    expect(found).toMatchObject({ memberSystem: SYSTEM, plan: 'IPM-STANDARD', relationship: 'spouse', subscriberId: 'NX-001', source: 'import' });
  });

  it('skips malformed rows, reporting each with its line, and imports the others', async () => {
    const insurerId = await newInsurer(db);
    const report = await importFixture(db, insurerId, 'malformed-rows.csv');
    expect(report).toMatchObject({ rowsRead: 7, imported: 2, invalid: 5, ended: 0 });
    expect(report.errors).toEqual([
      { line: 3, message: 'start "2026-13-01" is not a date (YYYY-MM-DD or DD/MM/YYYY)' },
      { line: 5, message: 'end 2025-01-31 is before start 2025-02-01' },
      { line: 6, message: 'member_id is missing' },
      { line: 7, message: 'status "expired" is not active or cancelled' },
      { line: 8, message: 'has 2 fields where the header has 5' },
    ]);
    expect(brief(await registry(db, insurerId))).toEqual([['M-0001', 'M-0001', 'active', '2025-01-01', null], ['M-0007', 'M-0007', 'active', '2025-01-15', null]]);
    expect(await imports(db, insurerId)).toMatchObject([{ status: 'done', rows_read: 7, imported: 2, invalid: 5 }]);

    // Messages beyond maxReportedErrors are counted, not kept.
    const capped = await importFixture(db, insurerId, 'malformed-rows.csv', { maxReportedErrors: 2 });
    expect([capped.invalid, capped.errors.map((e) => e.line)]).toEqual([5, [3, 5]]);
  });

  it("reads the insurer's own headers, semicolons and DD/MM/YYYY dates", async () => {
    const insurerId = await newInsurer(db);
    const columns = { member_id: 'MATRICULE', start: 'DATE_DEBUT', end: 'DATE_FIN', plan: 'FORMULE', relationship: 'LIEN', subscriber_id: 'ASSURE_PRINCIPAL' };
    const report = await importFixture(db, insurerId, 'insurer-headers-semicolon.csv', { columns });
    expect(report).toMatchObject({ imported: 3, invalid: 0 });
    const rows = await registry(db, insurerId);
    expect(rows.map((r) => [r.member_id, r.start, r.end, r.plan, r.relationship, r.subscriber_id])).toEqual([
      ['SN-100', '2025-01-01', '2030-12-31', 'FAMILLE', 'self', null],
      ['SN-101', '2025-01-01', '2030-12-31', 'FAMILLE', 'child', 'SN-100'],
      ['SN-102', '2025-02-01', null, 'SOLO', 'self', null],
    ]);
    // Without the mapping the file is not a roster: nothing is imported.
    await expect(importFixture(db, insurerId, 'insurer-headers-semicolon.csv')).rejects.toThrow(/The header has no member_id column/);
    expect((await imports(db, insurerId)).map((i) => i.status)).toEqual(['done', 'failed']);
  });

  it('ends nobody on a delta import, and updates what it lists', async () => {
    const insurerId = await newInsurer(db);
    await importFixture(db, insurerId, 'full-roster.csv');
    const report = await importRoster(db, {
      insurerId, format: 'csv', mode: 'delta', input: Readable.from(['member_id,coverage_id,start,end,status\nIPM-0002,COV-0002,2025-01-01,2025-12-31,cancelled\n']),
    });
    expect(report).toMatchObject({ imported: 1, ended: 0 });
    const rows = await registry(db, insurerId);
    expect(rows.filter((r) => r.status === 'ended')).toEqual([]);
    expect(brief(rows).find((r) => r[0] === 'COV-0002')).toEqual(['COV-0002', 'IPM-0002', 'cancelled', '2025-01-01', '2025-12-31']);
    expect(rows).toHaveLength(6);
  });

  it('keeps, rather than ends, the coverage of a row a full import refused', async () => {
    const insurerId = await newInsurer(db);
    await importFixture(db, insurerId, 'full-roster.csv');
    const roster = readFileSync(join(FIXTURES, 'full-roster.csv'), 'utf8').replace('IPM-0004,COV-0004,Ndiaye,Cheikh,IPM-PLUS,2025-03-01', 'IPM-0004,COV-0004,Ndiaye,Cheikh,IPM-PLUS,2025-02-30');
    const report = await importRoster(db, { insurerId, format: 'csv', mode: 'full', input: Readable.from([roster]) });
    expect(report).toMatchObject({ imported: 5, invalid: 1, ended: 0, errors: [{ line: 5, message: 'start "2025-02-30" is not a date (YYYY-MM-DD or DD/MM/YYYY)' }] });
    expect(brief(await registry(db, insurerId)).find((r) => r[0] === 'COV-0004')).toEqual(['COV-0004', 'IPM-0004', 'active', '2025-03-01', null]);
  });

  it('refuses a full import without one valid row, which would end the whole registry', async () => {
    const insurerId = await newInsurer(db);
    await importFixture(db, insurerId, 'full-roster.csv');
    const before = await registry(db, insurerId);
    await expect(importRoster(db, { insurerId, format: 'csv', mode: 'full', input: Readable.from(['member_id,start\nX,yesterday\n']) }))
      .rejects.toThrow(`No valid row in this full import (1 invalid): it would end every coverage of ${insurerId}; nothing was changed`);
    expect(await registry(db, insurerId)).toEqual(before);
  });

  it('refuses a full import that would end most of a registry (a truncated file?), unless told to', async () => {
    const insurerId = await newInsurer(db);
    const roster = (n: number) => `member_id,start\n${Array.from({ length: n }, (_, i) => `M${i},2025-01-01`).join('\n')}\n`;
    await importRoster(db, { insurerId, format: 'csv', mode: 'full', input: Readable.from([roster(200)]) });
    const before = await registry(db, insurerId);
    await expect(importRoster(db, { insurerId, format: 'csv', mode: 'full', input: Readable.from([roster(80)]) }))
      .rejects.toThrow(`This full import would end 120 of the 200 coverages of ${insurerId} (more than 50%)`);
    expect(await registry(db, insurerId)).toEqual(before);
    expect(await importRoster(db, { insurerId, format: 'csv', mode: 'full', input: Readable.from([roster(80)]), maxEndedShare: 1 })).toMatchObject({ imported: 80, ended: 120 });
  });

  it('records an import cut short by its process as failed at the next import', async () => {
    const insurerId = await newInsurer(db);
    await db.query(`insert into registry_imports (insurer_id, mode, format, status) values ($1, 'full', 'csv', 'running')`, [insurerId]);
    await importFixture(db, insurerId, 'full-roster.csv');
    expect((await imports(db, insurerId)).map((i) => [i.status, i.error])).toEqual([
      ['failed', 'interrupted: the importing process ended before it finished'], ['done', null],
    ]);
  });

  it('lets the last of two rows for one coverage win, within a batch and across batches', async () => {
    const insurerId = await newInsurer(db);
    const roster = 'member_id,coverage_id,start,plan\nA,C1,2025-01-01,ONE\nB,C2,2025-01-01,ONE\nA,C1,2025-02-01,TWO\nC,C3,2025-01-01,ONE\nA,C1,2025-03-01,THREE\n';
    for (const batchSize of [10_000, 2]) {
      const report = await importRoster(db, { insurerId, format: 'csv', mode: 'full', input: Readable.from([roster]), batchSize });
      expect(report).toMatchObject({ rowsRead: 5, imported: 5, invalid: 0 });
      const rows = await registry(db, insurerId);
      expect(rows.map((r) => [r.coverage_id, r.start, r.plan])).toEqual([['C1', '2025-03-01', 'THREE'], ['C2', '2025-01-01', 'ONE'], ['C3', '2025-01-01', 'ONE']]);
    }
  });

  it('reports progress in bytes read and rows', async () => {
    const insurerId = await newInsurer(db);
    const calls: Array<[number, number]> = [];
    await importFixture(db, insurerId, 'full-roster-next.csv', { batchSize: 2, onProgress: (bytes, rows) => calls.push([bytes, rows]) });
    const size = readFileSync(join(FIXTURES, 'full-roster-next.csv')).length;
    expect(calls.at(-1)).toEqual([size, 6]);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every(([b, r], i) => i === 0 || (b >= calls[i - 1]![0] && r >= calls[i - 1]![1]))).toBe(true);
  });

  it('refuses an unknown participant, a provider and an insurer without a synced registry, writing nothing', async () => {
    const registryOf = new ParticipantRegistry(db);
    await registryOf.upsert({ id: 'clinic-roster', kind: 'provider', name: 'Clinique' });
    await registryOf.upsert({ id: 'ipm-live', kind: 'insurer', name: 'IPM Live', adapter: 'fhir', adapterSettings: { baseUrl: 'http://127.0.0.1:1/fhir' },
      eligibility: { mode: 'live', memberSystem: SYSTEM, policy: 'reject' } });
    await registryOf.upsert({ id: 'ipm-none', kind: 'insurer', name: 'IPM None', adapter: 'fhir', adapterSettings: { baseUrl: 'http://127.0.0.1:1/fhir' } });
    const attempt = (insurerId: string) => importFixture(db, insurerId, 'full-roster.csv');
    await expect(attempt('ipm-nobody')).rejects.toThrow(new ImportRefusedError('No participant "ipm-nobody" is registered'));
    await expect(attempt('clinic-roster')).rejects.toThrow('"clinic-roster" is a provider, not an insurer');
    await expect(attempt('ipm-live')).rejects.toThrow(/^Insurer ipm-live does not keep a synced registry \(its eligibility mode is "live"\)\. Give it "eligibility": \{ "mode": "synced"/);
    await expect(attempt('ipm-none')).rejects.toThrow(/^Insurer ipm-none does not keep a synced registry \(it has no eligibility settings\)\..*PUT \/admin\/participants\/ipm-none/);
    const { rows } = await db.query(`select 1 from registry_imports where insurer_id in ('ipm-nobody', 'clinic-roster', 'ipm-live', 'ipm-none')`);
    expect(rows).toEqual([]);
  });

  it('fails while another import of the same insurer holds its lock', async () => {
    const insurerId = await newInsurer(db);
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select pg_advisory_xact_lock(4202, hashtext($1))', [insurerId]);
      await expect(importFixture(db, insurerId, 'full-roster.csv')).rejects.toThrow(`Another import or sync for ${insurerId} is running`);
      await other.query('commit');
      await expect(importFixture(db, insurerId, 'full-roster.csv')).resolves.toMatchObject({ imported: 6 });
    } finally {
      await other.end();
    }
  });

  it('fails, importing nothing, on a CSV whose quoting breaks', async () => {
    const insurerId = await newInsurer(db);
    const failure = importRoster(db, { insurerId, format: 'csv', mode: 'delta', input: Readable.from(['member_id,start\nA,2025-01-01\n"B,2025-01-01\n']), batchSize: 1 });
    await expect(failure).rejects.toMatchObject({ name: 'ImportFailedError', cause: expect.any(RosterFormatError) });
    expect(await registry(db, insurerId)).toEqual([]);
  });
});

describe('roster import on the embedded database (PGlite)', () => {
  it('runs the same import cycle', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-roster-pglite-'));
    const db = await openDatabase({ dataDir });
    try {
      expect(db.kind).toBe('pglite');
      await migrate(db);
      await fullImportCycle(db);
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the built `passerelle registry` command, as a child process', () => {
  let build: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;

  // Compiled into a private folder (not the shared dist/, which others may be building), without type
  // checking (npm run lint's job), with the migrations `npm run build` copies.
  beforeAll(async () => {
    build = mkdtempSync(join(tmpdir(), 'passerelle-registry-build-'));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', build], { encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    cpSync(join(ROOT, 'gateway/store/migrations'), join(build, 'gateway/store/migrations'), { recursive: true });
    writeFileSync(join(build, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'passerelle-registry-cli-'));
    const db = await openDatabase({ databaseUrl: database.url, dataDir });
    try {
      await migrate(db);
      await new ParticipantRegistry(db).upsert({
        id: 'ipm-test', kind: 'insurer', name: 'IPM Test', adapter: 'fhir', adapterSettings: { baseUrl: 'http://127.0.0.1:1/fhir' },
        eligibility: { mode: 'synced', memberSystem: SYSTEM, policy: 'reject' },
      });
    } finally {
      await db.close();
    }
  }, 120_000);

  afterAll(async () => {
    await database?.drop();
    if (build) rmSync(build, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  function cli(args: string[], input?: string) {
    const env = { ...process.env, NODE_OPTIONS: '', DATABASE_URL: database.url, DATA_DIR: dataDir, PASSERELLE_MODE: 'demo', SEED_FILE: '' };
    return spawnSync(process.execPath, [join(build, 'gateway/cli.js'), 'registry', ...args], { encoding: 'utf8', env, input, timeout: 60_000 });
  }

  it('exits 0 with a summary when every row is imported, and reports the registry', () => {
    const run = cli(['import', '--insurer', 'ipm-test', join(FIXTURES, 'full-roster.csv')]);
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toMatch(/^Imported 6 coverages into the registry of ipm-test \(full import #\d+\)\.\nRows read: 6; invalid rows skipped: 0; ended \(missing from this full import\): 0\.\nTime: [\d.]+ s, [\d,]+ members\/s\.\n$/);

    const status = cli(['status', '--insurer', 'ipm-test']);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('Registry of ipm-test: eligibility synced, member system urn:test:member\nCoverages: 5 active, 1 cancelled, 0 ended\nLast imports:\n');
    expect(status.stdout).toMatch(/#\d+ \S+ full csv done \([\d.]+ s\): 6 rows read, 6 imported, 0 invalid, 0 ended \[full-roster.csv\]/);
  });

  it('exits 1 when some rows were skipped, listing them by line; --json gives the whole report', () => {
    const run = cli(['import', '--insurer', 'ipm-test', '--mode', 'delta', join(FIXTURES, 'malformed-rows.csv')]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('Rows read: 7; invalid rows skipped: 5; ended: none (a delta import ends nobody).');
    expect(run.stdout).toContain('Invalid rows (the first 5 of 5; --json lists up to 5):\n  line 3: start "2026-13-01" is not a date (YYYY-MM-DD or DD/MM/YYYY)\n  line 5: ');

    const json = cli(['import', '--insurer', 'ipm-test', '--mode', 'delta', '--json', join(FIXTURES, 'malformed-rows.csv')]);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ insurerId: 'ipm-test', mode: 'delta', format: 'csv', rowsRead: 7, imported: 2, invalid: 5, ended: 0, errors: expect.arrayContaining([{ line: 8, message: 'has 2 fields where the header has 5' }]) });
  });

  it('reads standard input, a column mapping and a delimiter', () => {
    const run = cli(['import', '--insurer', 'ipm-test', '--mode', 'delta', '--format', 'csv', '--delimiter', ';', '--column', 'member_id=MATRICULE', '--column', 'start=DATE_DEBUT', '-'],
      readFileSync(join(FIXTURES, 'insurer-headers-semicolon.csv'), 'utf8'));
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toMatch(/^Imported 3 coverages/);
  });

  it('exits 2, importing nothing, when it cannot import', () => {
    const unknown = cli(['import', '--insurer', 'ipm-nobody', join(FIXTURES, 'full-roster.csv')]);
    expect([unknown.status, unknown.stdout, unknown.stderr]).toEqual([2, '', 'No participant "ipm-nobody" is registered\n']);

    const missing = cli(['import', '--insurer', 'ipm-test', join(FIXTURES, 'no-such-roster.csv')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^Cannot read .*no-such-roster.csv: ENOENT/);

    const notRoster = cli(['import', '--insurer', 'ipm-test', join(FIXTURES, 'insurer-headers-semicolon.csv')]);
    expect(notRoster.status).toBe(2);
    expect(notRoster.stderr).toMatch(/^Import #\d+ failed; nothing was imported: the file cannot be read as a roster: The header has no member_id column/);

    const badMapping = cli(['import', '--insurer', 'ipm-test', '--column', 'nom=NOM', join(FIXTURES, 'full-roster.csv')]);
    expect([badMapping.status, badMapping.stderr]).toEqual([2, expect.stringMatching(/^Unknown column "nom" in the column mapping/)]);

    const badMode = cli(['import', '--insurer', 'ipm-test', '--mode', 'partial', join(FIXTURES, 'full-roster.csv')]);
    expect(badMode.status).toBe(2);
    expect(badMode.stderr).toContain("option '--mode <mode>' argument 'partial' is invalid");

    const noFormat = cli(['import', '--insurer', 'ipm-test', '-'], 'member_id,start\n');
    expect([noFormat.status, noFormat.stderr]).toEqual([2, 'Cannot tell the format of standard input from its name: give --format csv or --format ndjson\n']);
  });

  it('describes itself', () => {
    const help = cli(['import', '--help']);
    expect(help.status).toBe(0);
    for (const text of ['--insurer <id>', '--column <column=HEADER>', '--delimiter', '--json', 'Exit codes:', 'DD/MM/YYYY', 'only while the gateway is stopped']) {
      expect(help.stdout).toContain(text);
    }
  });
});
