/**
 * The eligibility benchmark, on a fresh PostgreSQL database: importRoster on a 1,000,000-member CSV
 * roster (target: at least 20,000 members/s) next to a bare batched INSERT of the same rows measured in
 * the same run, a full re-import (every row an update) next to a bare INSERT ... ON CONFLICT, then
 * synced lookups (MemberStore.find) at 1,000,000 members (target: p99 at most 1 ms) next to a bare
 * index lookup and a bare `select 1` round trip on the same pool, one at a time and 8 in flight.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemberStore } from '../../gateway/eligibility/member-store.js';
import { importRoster, type ImportReport } from '../../gateway/eligibility/roster-import.js';
import { parseRoster } from '../../gateway/eligibility/roster.js';
import { ParticipantRegistry } from '../../gateway/participants/registry.js';
import { openDatabase, type Database } from '../../gateway/store/database.js';
import { migrate } from '../../gateway/store/migrate.js';
import { collectGarbage } from '../harness/measure.js';
import type { BenchContext, Benchmark, BenchmarkResult } from '../harness/types.js';
import { bareInsert, createScratchTable } from './baseline.js';
import { createBenchDatabase } from './database.js';
import { timeLookups, type LookupOptions } from './lookups.js';
import { FIND, INDEX_PROBE, SELECT_1, eligibilityTables, findingsSection, methodSection, type EligibilityFigures } from './report.js';
import { BENCH_MEMBER_SYSTEM, benchMemberId, writeBenchRoster } from './roster-file.js';

const INSURER = 'bench-ipm';
/** BENCH_ELIGIBILITY_MEMBERS makes a quicker run for trying the benchmark itself; the report says how many. */
const MEMBERS = Number(process.env.BENCH_ELIGIBILITY_MEMBERS ?? 1_000_000);
const LOOKUPS: Omit<LookupOptions, 'concurrency'> = { warmupCalls: 2000, rounds: 20, callsPerRound: 1000 };
const CONCURRENCY = 8;

export const eligibilityBenchmark: Benchmark = {
  name: 'eligibility',
  title: 'Synced eligibility: roster import and lookups',
  run: runEligibilityBenchmark,
};

async function runEligibilityBenchmark(context: BenchContext): Promise<BenchmarkResult> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'passerelle-bench-eligibility-'));
  const database = await createBenchDatabase();
  let db: Database | undefined;
  try {
    db = await openDatabase({ databaseUrl: database.url, dataDir: work });
    await migrate(db);
    await new ParticipantRegistry(db).upsert({
      id: INSURER, kind: 'insurer', name: 'IPM (benchmark)', adapter: 'fhir', adapterSettings: { baseUrl: 'http://127.0.0.1:1/fhir' },
      eligibility: { mode: 'synced', memberSystem: BENCH_MEMBER_SYSTEM, policy: 'reject' },
    });
    const figures = await measure(context, db, join(work, 'roster.csv'));
    const { tables, summary } = eligibilityTables(figures);
    return {
      name: eligibilityBenchmark.name, title: eligibilityBenchmark.title, startedAt: started.toISOString(),
      durationSeconds: (Date.now() - started.getTime()) / 1000, summary, tables,
      sections: [findingsSection(figures), methodSection(figures, LOOKUPS, CONCURRENCY)], data: figures,
    };
  } finally {
    await db?.close();
    await database.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function measure(context: BenchContext, db: Database, roster: string): Promise<EligibilityFigures> {
  context.log(`eligibility: writing a ${MEMBERS.toLocaleString('en-US')}-member roster`);
  const rosterBytes = await writeBenchRoster(roster, MEMBERS);

  context.log('eligibility: parsing alone (no database)');
  let parsed = 0;
  const parseStarted = performance.now();
  for await (const row of parseRoster(createReadStream(roster), 'csv', { memberSystem: BENCH_MEMBER_SYSTEM })) if ('coverage' in row) parsed++;
  const parseMs = performance.now() - parseStarted;
  if (parsed !== MEMBERS) throw new Error(`The roster parsed into ${parsed} coverages, not ${MEMBERS}`);

  await createScratchTable(db);
  context.log('eligibility: baseline, bare INSERT');
  const bareInsertMs = await bareInsert(db, INSURER, MEMBERS);
  context.log('eligibility: importRoster, first import');
  const first = await timedImport(db, roster);
  context.log('eligibility: baseline, bare INSERT ... ON CONFLICT DO UPDATE over the same rows');
  const bareUpsertMs = await bareInsert(db, INSURER, MEMBERS, { upsert: true });
  context.log('eligibility: importRoster, full re-import');
  const again = await timedImport(db, roster);
  const { rows: size } = await db.query<{ bytes: string }>(`select pg_total_relation_size('registry_coverages') as bytes`);

  context.log(`eligibility: lookups, one at a time and ${CONCURRENCY} in flight`);
  const store = new MemberStore(db);
  const random = mulberry32(42);
  const contenders = [
    { name: FIND, call: () => store.find(INSURER, benchMemberId(Math.floor(random() * MEMBERS))) },
    { name: INDEX_PROBE, call: () => db.query('select coverage_id from registry_coverages where insurer_id = $1 and member_id = $2', [INSURER, benchMemberId(Math.floor(random() * MEMBERS))]) },
    { name: SELECT_1, call: () => db.query('select 1') },
  ];
  // Every lookup must find its member, or the figures would time misses.
  const sample = await store.find(INSURER, benchMemberId(MEMBERS - 1));
  if (sample.length !== 1) throw new Error(`Lookup of the last member found ${sample.length} coverages`);
  const sequential = await timeLookups(contenders, { ...LOOKUPS, concurrency: 1 });
  const concurrent = await timeLookups(contenders, { ...LOOKUPS, concurrency: CONCURRENCY });
  return {
    members: MEMBERS, cores: availableParallelism(), concurrency: CONCURRENCY, rosterBytes, parseMs, bareInsertMs, bareUpsertMs, first, again, tableBytes: Number(size[0]!.bytes),
    lookups: { sequential: Object.fromEntries(sequential), concurrent: Object.fromEntries(concurrent) },
  };
}

/** importRoster on the file, with its wall time and the process's peak resident memory while it ran. */
async function timedImport(db: Database, roster: string): Promise<{ report: Omit<ImportReport, 'errors'>; ms: number; peakRssMb: number; rssBeforeMb: number }> {
  collectGarbage();
  const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
  let peak = rssBeforeMb;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss() / 2 ** 20); }, 100);
  const started = performance.now();
  try {
    const { errors, ...report } = await importRoster(db, { insurerId: INSURER, format: 'csv', mode: 'full', input: createReadStream(roster), sourceName: 'bench roster' });
    if (report.imported !== MEMBERS || report.invalid !== 0) throw new Error(`The import took ${report.imported} rows and refused ${report.invalid}: ${errors[0]?.message}`);
    return { report, ms: performance.now() - started, peakRssMb: peak, rssBeforeMb };
  } finally {
    clearInterval(sampler);
  }
}

/** A small seeded generator, so every run looks up the same members. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
