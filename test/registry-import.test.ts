/**
 * Roster imports into the synced registry, on the real PostgreSQL (and once on the embedded PGlite):
 * CSV and NDJSON fixtures, bad rows, column mappings, upserts, full imports ending the coverages they
 * omit, delta imports ending nobody, a failing import leaving the registry as it was, refusals, the
 * messages kept with each import in both languages (and those of imports logged before, in English);
 * then the built `passerelle registry` command as a child process, for its exit codes and summaries in
 * English and French; and the operator route /admin/registries in the request's language.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, createReadStream, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MemberStore } from '../gateway/eligibility/member-store.js';
import { runRegistryStatus, type Terminal } from '../gateway/eligibility/registry-cli.js';
import { ImportFailedError, ImportRefusedError, STORED_ROW_ERRORS, importRoster, type ImportOptions } from '../gateway/eligibility/roster-import.js';
import { RosterFormatError } from '../gateway/eligibility/roster.js';
import { ParticipantRegistry } from '../gateway/participants/registry.js';
import { openDatabase, type Database } from '../gateway/store/database.js';
import { migrate } from '../gateway/store/migrate.js';
import { createTestDatabase, startTestGateway, type TestGateway } from './harness.js';

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

/** registry_imports as stored: error and row_errors as their JSON. */
async function imports(db: Database, insurerId: string) {
  const { rows } = await db.query<{
    status: string; rows_read: string; imported: string; invalid: string; ended: string; error: unknown; row_errors: unknown; mode: string; source_name: string | null;
  }>('select status, rows_read, imported, invalid, ended, error, row_errors, mode, source_name from registry_imports where insurer_id = $1 order by id', [insurerId]);
  return rows.map((r) => ({ ...r, rows_read: Number(r.rows_read), imported: Number(r.imported), invalid: Number(r.invalid), ended: Number(r.ended) }));
}

/** The same text in both languages: an error the gateway does not word itself (a read or database error). */
const same = (text: string) => ({ en: text, fr: text });

/** A terminal that keeps what a command writes, in English unless env says otherwise. */
function terminal(env: NodeJS.ProcessEnv): Terminal & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { env: { LC_ALL: '', LC_MESSAGES: '', LANG: 'en_US.UTF-8', ...env }, out: (text) => stdout.push(text), err: (text) => stderr.push(text), stdout, stderr };
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
    ['done', 6, 0, null], ['done', 6, 1, null], ['failed', 0, 0, same('read ECONNRESET')], ['done', 6, 1, null],
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
    expect(report.errors.map((e) => [e.line, e.message.en])).toEqual([
      [3, 'start "2026-13-01" is not a date (YYYY-MM-DD or DD/MM/YYYY)'],
      [5, 'end 2025-01-31 is before start 2025-02-01'],
      [6, 'member_id is missing'],
      [7, 'status "expired" is not active or cancelled'],
      [8, 'has 2 fields where the header has 5'],
    ]);
    expect(report.errors.map((e) => [e.line, e.message.fr])).toEqual([
      [3, 'start "2026-13-01" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)'],
      [5, 'end 2025-01-31 précède start 2025-02-01'],
      [6, 'member_id : valeur absente'],
      [7, 'status "expired" n\'est ni active ni cancelled'],
      [8, 'a 2 champs alors que l\'en-tête en a 5'],
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
    expect(report).toMatchObject({ imported: 5, invalid: 1, ended: 0, errors: [{ line: 5, message: { en: 'start "2025-02-30" is not a date (YYYY-MM-DD or DD/MM/YYYY)' } }] });
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
      ['failed', { en: 'interrupted: the importing process ended before it finished', fr: "interrompu : le processus d'import s'est arrêté avant la fin" }], ['done', null],
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
    await expect(attempt('ipm-nobody')).rejects.toThrow(ImportRefusedError);
    await expect(attempt('ipm-nobody')).rejects.toMatchObject({
      message: 'No participant "ipm-nobody" is registered', text: { fr: 'Aucun participant « ipm-nobody » n\'est enregistré' },
    });
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

  it('keeps with each import, in both languages, why it failed and the first rows it skipped, naming no member', async () => {
    const insurerId = await newInsurer(db);
    await importFixture(db, insurerId, 'malformed-rows.csv', { mode: 'delta' });
    const many = `member_id,start\n${Array.from({ length: STORED_ROW_ERRORS + 50 }, (_, i) => `MANY-${i},someday`).join('\n')}\nOK-1,2025-01-01\n`;
    await importRoster(db, { insurerId, format: 'csv', mode: 'delta', input: Readable.from([many]) });
    await expect(importFixture(db, insurerId, 'insurer-headers-semicolon.csv')).rejects.toThrow(ImportFailedError);

    const [malformed, capped, failed] = await imports(db, insurerId);
    expect(malformed).toMatchObject({ status: 'done', invalid: 5, error: null });
    expect(malformed!.row_errors).toEqual([
      { line: 3, message: { en: 'start "2026-13-01" is not a date (YYYY-MM-DD or DD/MM/YYYY)', fr: 'start "2026-13-01" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)' } },
      { line: 5, message: { en: 'end 2025-01-31 is before start 2025-02-01', fr: 'end 2025-01-31 précède start 2025-02-01' } },
      { line: 6, message: { en: 'member_id is missing', fr: 'member_id : valeur absente' } },
      { line: 7, message: { en: 'status "expired" is not active or cancelled', fr: 'status "expired" n\'est ni active ni cancelled' } },
      { line: 8, message: { en: 'has 2 fields where the header has 5', fr: 'a 2 champs alors que l\'en-tête en a 5' } },
    ]);
    // Every invalid row is counted; the first STORED_ROW_ERRORS are kept.
    expect(capped).toMatchObject({ status: 'done', imported: 1, invalid: STORED_ROW_ERRORS + 50 });
    const kept = capped!.row_errors as Array<{ line: number; message: { en: string; fr: string } }>;
    expect([kept.length, kept[0]!.line, kept.at(-1)!.line]).toEqual([STORED_ROW_ERRORS, 2, STORED_ROW_ERRORS + 1]);
    expect(kept[0]!.message).toEqual({ en: 'start "someday" is not a date (YYYY-MM-DD or DD/MM/YYYY)', fr: 'start "someday" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)' });
    // Messages name columns and quote dates or codes: never a member number (patient data), in either language.
    expect(JSON.stringify([malformed, capped])).not.toMatch(/M-000\d|MANY-/);
    expect(failed).toMatchObject({ status: 'failed', row_errors: [], error: {
      en: expect.stringMatching(/^The header has no member_id column\. Columns found: MATRICULE, NOM, /),
      fr: expect.stringMatching(/^L'en-tête n'a pas de colonne member_id\. Colonnes trouvées : MATRICULE, NOM, .* \(--column member_id=<votre en-tête>\)$/),
    } });

    // As `registry status` shows them, in French.
    const fr = terminal({ DATABASE_URL: database.url, DATA_DIR: dataDir, PASSERELLE_MODE: 'demo', SEED_FILE: '' });
    expect(await runRegistryStatus({ insurer: insurerId, lang: 'fr' }, fr)).toBe(0);
    const text = fr.stdout.join('\n');
    expect(text).toContain(`Registre de ${insurerId} : éligibilité synced, système d'adhérent ${SYSTEM}\nCouvertures : 3 actives, 0 annulées, 0 terminées\nDerniers imports :\n`);
    expect(text).toMatch(/#\d+ \S+ full csv failed \([\d.]+ s\) : 0 lignes lues, 0 importées, 0 invalides, 0 terminées \[insurer-headers-semicolon\.csv\]\n {6}erreur : L'en-tête n'a pas de colonne member_id\./);
    expect(text).toMatch(/delta csv done \([\d.]+ s\) : 7 lignes lues, 2 importées, 5 invalides, 0 terminées \[malformed-rows\.csv\]\n {6}ligne 3 : start "2026-13-01" n'est pas une date \(AAAA-MM-JJ ou JJ\/MM\/AAAA\)\n {6}ligne 5 : end 2025-01-31 précède start 2025-02-01\n {6}ligne 6 : member_id : valeur absente\n {6}… et 2 autre\(s\) ligne\(s\) invalide\(s\)$/);
    expect(fr.stderr).toEqual([]);
  });

  it("keeps a database error's SQLSTATE with a failed import, never its message, which can quote the file's values", async () => {
    const insurerId = await newInsurer(db);
    // A trigger standing for any database error whose message quotes a row's values.
    await db.exec(`create function test_refuse_member() returns trigger language plpgsql as $$
        begin if new.member_id = 'SECRET-M42' then raise exception 'member % refused', new.member_id using errcode = 'P0001'; end if; return new; end $$;
      create trigger test_refuse_member before insert on registry_coverages for each row execute function test_refuse_member();`);
    try {
      const roster = 'member_id,start,end\nSECRET-M41,2025-01-01,2099-12-31\nSECRET-M42,2025-01-01,2099-12-31\n';
      const failure = await importRoster(db, { insurerId, format: 'csv', mode: 'delta', input: Readable.from([roster]) }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(ImportFailedError);
      expect((failure as Error).message).toMatch(/member SECRET-M42 refused/); // to the caller, as it is
      const [failed] = await imports(db, insurerId);
      expect(failed).toMatchObject({ status: 'failed', error: {
        en: "the database refused the import (SQLSTATE P0001); its message is not kept, as it can quote the file's values",
        fr: "la base de données a refusé l'import (SQLSTATE P0001) ; son message n'est pas conservé, car il peut citer des valeurs du fichier",
      } });
      expect(JSON.stringify(failed)).not.toContain('SECRET');
    } finally {
      await db.exec('drop trigger test_refuse_member on registry_coverages; drop function test_refuse_member();');
    }
  });

  it('reads the imports logged before migration 022 (an English error as text, no rows kept) in both languages', async () => {
    const older = await createTestDatabase();
    const legacy = await openDatabase({ databaseUrl: older.url, dataDir });
    try {
      await migrate(legacy);
      // The database as it was before 022, with an import logged then; then 022 applied to it.
      const migration = (await legacy.query<{ name: string }>(`select name from schema_migrations where name like '022\\_%'`)).rows[0]!.name;
      await legacy.query('alter table registry_imports drop column row_errors');
      await legacy.query(`alter table registry_imports alter column error type text using error #>> '{}'`);
      await legacy.query('delete from schema_migrations where name = $1', [migration]);
      const insurerId = await newInsurer(legacy);
      const before = 'Another import or sync for ipm-x is running; run this one when it has finished';
      await legacy.query(`insert into registry_imports (insurer_id, mode, format, status, error, finished_at) values ($1, 'full', 'csv', 'failed', $2, now())`, [insurerId, before]);
      expect(await migrate(legacy)).toEqual([migration]);

      const [logged] = await new MemberStore(legacy).recentImports(insurerId);
      expect(logged).toMatchObject({ status: 'failed', error: { en: before, fr: before }, rowErrors: [] });
      // A kept row whose message is a plain string reads the same way.
      await legacy.query(`update registry_imports set row_errors = '[{"line": 4, "message": "has 2 fields where the header has 5"}]' where insurer_id = $1`, [insurerId]);
      expect((await new MemberStore(legacy).recentImports(insurerId))[0]!.rowErrors).toEqual([{ line: 4, message: same('has 2 fields where the header has 5') }]);

      for (const [lang, words] of [['fr', 'erreur : '], ['en', 'error: ']] as const) {
        const out = terminal({ DATABASE_URL: older.url, DATA_DIR: dataDir, PASSERELLE_MODE: 'demo', SEED_FILE: '' });
        expect(await runRegistryStatus({ insurer: insurerId, lang }, out)).toBe(0);
        expect(out.stdout.join('\n')).toContain(`\n      ${words}${before}\n      ${lang === 'fr' ? 'ligne 4 : ' : 'line 4: '}has 2 fields where the header has 5`);
      }
    } finally {
      await legacy.close();
      await older.drop();
    }
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

  /** The command, in English unless locale (or --lang) says otherwise. */
  function cli(args: string[], input?: string, locale: NodeJS.ProcessEnv = {}) {
    const env = {
      ...process.env, NODE_OPTIONS: '', DATABASE_URL: database.url, DATA_DIR: dataDir, PASSERELLE_MODE: 'demo', SEED_FILE: '',
      LC_ALL: '', LC_MESSAGES: '', LANG: 'en_US.UTF-8', ...locale,
    };
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
    expect([badMode.status, badMode.stderr]).toEqual([2, '--mode takes full or delta, not "partial"\n']);

    const noInsurer = cli(['import', join(FIXTURES, 'full-roster.csv')]);
    expect([noInsurer.status, noInsurer.stderr]).toEqual([2, '--insurer <id> is required: the insurer whose registry this is\n']);

    const noFormat = cli(['import', '--insurer', 'ipm-test', '-'], 'member_id,start\n');
    expect([noFormat.status, noFormat.stderr]).toEqual([2, 'Cannot tell the format of standard input from its name: give --format csv or --format ndjson\n']);
  });

  it('describes itself', () => {
    const help = cli(['import', '--help']);
    expect(help.status).toBe(0);
    for (const text of ['--insurer <id>', '--column <column=HEADER>', '--delimiter', '--json', '--lang <en|fr>', 'Exit codes:\n  0  every row imported', 'DD/MM/YYYY',
      'only while the gateway is stopped', 'Examples:\n  passerelle registry import --insurer ipm-dakar roster.csv']) {
      expect(help.stdout).toContain(text);
    }
  });

  it('speaks French with --lang fr or a French locale: summaries, invalid rows, failures, status and help', () => {
    const run = cli(['import', '--insurer', 'ipm-test', '--mode', 'delta', '--lang', 'fr', join(FIXTURES, 'malformed-rows.csv')]);
    expect([run.status, run.stderr]).toEqual([1, '']);
    expect(run.stdout).toMatch(/^2 couvertures importées dans le registre de ipm-test \(import delta #\d+\)\.\n/);
    expect(run.stdout).toContain('Lignes lues : 7 ; lignes invalides ignorées : 5 ; terminées : aucune (un import delta ne termine personne).\n');
    expect(run.stdout).toMatch(/\nDurée : [\d.]+ s, [\d,]+ adhérents\/s\.\n/);
    expect(run.stdout).toContain("Lignes invalides (les 5 premières sur 5 ; --json en liste jusqu'à 5) :\n"
      + '  ligne 3 : start "2026-13-01" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)\n  ligne 5 : end 2025-01-31 précède start 2025-02-01\n'
      + '  ligne 6 : member_id : valeur absente\n  ligne 7 : status "expired" n\'est ni active ni cancelled\n  ligne 8 : a 2 champs alors que l\'en-tête en a 5\n');
    expect(run.stdout).not.toMatch(/M-000\d/); // no member number in what is printed

    const json = cli(['import', '--insurer', 'ipm-test', '--mode', 'delta', '--json', join(FIXTURES, 'malformed-rows.csv')], undefined, { LANG: 'fr_SN.UTF-8' });
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout).errors).toContainEqual({ line: 8, message: "a 2 champs alors que l'en-tête en a 5" });

    const notRoster = cli(['import', '--insurer', 'ipm-test', '--lang', 'fr', join(FIXTURES, 'insurer-headers-semicolon.csv')]);
    expect(notRoster.status).toBe(2);
    expect(notRoster.stderr).toMatch(/^L'import #\d+ a échoué ; rien n'a été importé : le fichier ne se lit pas comme un fichier d'adhérents : L'en-tête n'a pas de colonne member_id\. /);
    expect(cli(['import', '--insurer', 'ipm-nobody', join(FIXTURES, 'full-roster.csv')], undefined, { LC_ALL: 'fr_FR.UTF-8' }).stderr)
      .toBe('Aucun participant « ipm-nobody » n\'est enregistré\n');
    expect(cli(['import', '--insurer', 'ipm-test', '--mode', 'partial', '--lang', 'fr', join(FIXTURES, 'full-roster.csv')]).stderr).toBe('--mode prend full ou delta, pas « partial »\n');
    expect(cli(['import', '--insurer', 'ipm-test', '--lang', 'fr', '-'], 'member_id,start\n').stderr)
      .toBe("Impossible de déduire le format de l'entrée standard de son nom : donnez --format csv ou --format ndjson\n");

    const status = cli(['status', '--insurer', 'ipm-test', '--last', '3'], undefined, { LANG: 'fr_FR.UTF-8' });
    expect([status.status, status.stderr]).toEqual([0, '']);
    expect(status.stdout).toMatch(/^Registre de ipm-test : éligibilité synced, système d'adhérent urn:test:member\nCouvertures : \d+ actives, \d+ annulées, \d+ terminées\nDerniers imports :\n/);
    expect(status.stdout).toMatch(/full csv failed \([\d.]+ s\) : 0 lignes lues, 0 importées, 0 invalides, 0 terminées \[insurer-headers-semicolon\.csv\]\n {6}erreur : L'en-tête n'a pas de colonne member_id\./);
    expect(status.stdout).toMatch(/delta csv done \([\d.]+ s\) : 7 lignes lues, 2 importées, 5 invalides, 0 terminées \[malformed-rows\.csv\]\n {6}ligne 3 : start "2026-13-01" n'est pas une date/);
    const english = cli(['status', '--insurer', 'ipm-test', '--last', '3', '--lang', 'en'], undefined, { LANG: 'fr_FR.UTF-8' });
    expect(english.stdout).toMatch(/full csv failed \([\d.]+ s\): 0 rows read, 0 imported, 0 invalid, 0 ended \[insurer-headers-semicolon\.csv\]\n {6}error: The header has no member_id column\./);
    const statusJson = JSON.parse(cli(['status', '--insurer', 'ipm-test', '--last', '3', '--json', '--lang', 'fr']).stdout) as { imports: Array<{ error: string | null; rowErrors: unknown[] }> };
    expect(statusJson.imports.map((i) => i.error)).toContainEqual(expect.stringMatching(/^L'en-tête n'a pas de colonne member_id\./));
    expect(statusJson.imports.flatMap((i) => i.rowErrors)).toContainEqual({ line: 5, message: 'end 2025-01-31 précède start 2025-02-01' });

    // Compared with its line breaks as spaces: commander wraps the options to the terminal's width.
    const help = cli(['import', '--help', '--lang', 'fr']);
    const helpText = help.stdout.replace(/\s+/g, ' ');
    expect([help.status, help.stderr]).toEqual([0, '']);
    for (const text of ['Utilisation :', 'Options :', "l'assureur (un participant en mode d'éligibilité « synced ») ; obligatoire", "Le fichier d'adhérents (docs/eligibility-roster.md) :",
      'AAAA-MM-JJ ou JJ/MM/AAAA', "n'y importez que lorsque la passerelle est arrêtée", 'Codes de sortie : 0 toutes les lignes importées', 'Exemples :']) {
      expect(helpText).toContain(text);
    }
    expect(helpText).not.toMatch(/Exit codes|default:/);
    expect(cli(['status', '--help'], undefined, { LC_ALL: 'fr_FR.UTF-8' }).stdout.replace(/\s+/g, ' ')).toContain("combien d'imports lister (10 par défaut)");
    expect(cli(['--help'], undefined, { LC_ALL: 'fr_FR.UTF-8' }).stdout.replace(/\s+/g, ' ')).toContain('les registres d’adhérents des assureurs');

    const badLang = cli(['status', '--insurer', 'ipm-test', '--lang', 'de']);
    expect([badLang.status, badLang.stderr]).toEqual([2, '--lang takes en or fr, not "de"\n']);
  });
});

describe('the operator route /admin/registries', () => {
  let gw: TestGateway;

  // DEFAULT_LANGUAGE=fr: a request without Accept-Language is answered in French.
  beforeAll(async () => {
    gw = await startTestGateway({ env: { DEFAULT_LANGUAGE: 'fr' } });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
  });

  async function operator(method: string, path: string, options: { body?: unknown; language?: string } = {}) {
    const res = await fetch(`${gw.url}${path}`, {
      method, body: options.body === undefined ? undefined : JSON.stringify(options.body),
      headers: { Authorization: `Bearer ${await gw.token('demo-operator')}`, 'Content-Type': 'application/json', ...(options.language ? { 'Accept-Language': options.language } : {}) },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  type ImportView = { status: string; invalid: number; error: string | null; rowErrors: Array<{ line: number; message: string }>; source: string | null };

  it("gives the imports' messages in the request's language, older English ones as they were", async () => {
    const created = await operator('POST', '/admin/participants', { body: {
      id: 'ipm-route', kind: 'insurer', name: 'IPM Route', adapter: 'fhir', adapterSettings: { baseUrl: 'http://127.0.0.1:1/fhir' },
      eligibility: { mode: 'synced', memberSystem: SYSTEM, policy: 'reject' },
    } });
    expect(created.status).toBe(201);
    const db = gw.passerelle.db;
    // An import logged before migration 022: its error, English text, became a JSON string.
    const older = 'interrupted: the importing process ended before it finished';
    await db.query(`insert into registry_imports (insurer_id, mode, format, status, error, finished_at) values ('ipm-route', 'full', 'csv', 'failed', to_jsonb($1::text), now())`, [older]);
    await importFixture(db, 'ipm-route', 'malformed-rows.csv', { mode: 'delta' });
    await expect(importFixture(db, 'ipm-route', 'insurer-headers-semicolon.csv')).rejects.toThrow(ImportFailedError);

    const imports = async (language?: string) => {
      const answer = await operator('GET', '/admin/registries/ipm-route', { language });
      expect(answer.status).toBe(200);
      return answer.body.imports as ImportView[];
    };
    const [frFailed, frDone, frOlder] = await imports();
    expect(frFailed).toMatchObject({ status: 'failed', rowErrors: [], error: expect.stringMatching(/^L'en-tête n'a pas de colonne member_id\. Colonnes trouvées : MATRICULE, NOM, /) });
    expect(frDone).toMatchObject({ status: 'done', invalid: 5, error: null, source: 'malformed-rows.csv' });
    expect(frDone!.rowErrors).toEqual([
      { line: 3, message: 'start "2026-13-01" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)' },
      { line: 5, message: 'end 2025-01-31 précède start 2025-02-01' },
      { line: 6, message: 'member_id : valeur absente' },
      { line: 7, message: 'status "expired" n\'est ni active ni cancelled' },
      { line: 8, message: 'a 2 champs alors que l\'en-tête en a 5' },
    ]);
    expect(frOlder).toMatchObject({ status: 'failed', error: older, rowErrors: [] });

    const [enFailed, enDone, enOlder] = await imports('en-GB, en;q=0.9');
    expect(enFailed!.error).toMatch(/^The header has no member_id column\. Columns found: MATRICULE, NOM, /);
    expect(enDone!.rowErrors.map((e) => e.message)).toEqual([
      'start "2026-13-01" is not a date (YYYY-MM-DD or DD/MM/YYYY)', 'end 2025-01-31 is before start 2025-02-01', 'member_id is missing',
      'status "expired" is not active or cancelled', 'has 2 fields where the header has 5',
    ]);
    expect(enOlder!.error).toBe(older);
    expect(JSON.stringify([frDone, enDone])).not.toMatch(/M-000\d/);

    // The list answers the same way.
    const list = await operator('GET', '/admin/registries', { language: 'fr' });
    const listed = (list.body.registries as Array<{ insurer: string; imports: ImportView[] }>).find((r) => r.insurer === 'ipm-route')!;
    expect(listed.imports[1]!.rowErrors[1]).toEqual({ line: 5, message: 'end 2025-01-31 précède start 2025-02-01' });
    const listEn = await operator('GET', '/admin/registries', { language: 'en' });
    expect((listEn.body.registries as Array<{ insurer: string; imports: ImportView[] }>).find((r) => r.insurer === 'ipm-route')!.imports[1]!.rowErrors[1])
      .toEqual({ line: 5, message: 'end 2025-01-31 is before start 2025-02-01' });
  }, 30_000);
});
