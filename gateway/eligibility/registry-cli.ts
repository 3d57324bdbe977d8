/**
 * `passerelle registry import` and `passerelle registry status`: the operator's commands for the synced
 * member registries (docs/eligibility-roster.md). They open the deployment's database from the gateway's
 * configuration (DATABASE_URL, else the embedded database under DATA_DIR, which only one process may
 * open: import into it only while the gateway is stopped). Exit codes: 0 every row imported, 1 imported
 * but some rows were invalid (skipped), 2 nothing imported (refused, unreadable file, failed import).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { ParticipantRegistry } from '../participants/registry.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { MemberStore, type RegistryImport } from './member-store.js';
import { ImportFailedError, ImportRefusedError, importRoster, type ImportMode, type ImportReport } from './roster-import.js';
import { RosterFormatError, checkColumnMapping, type ColumnMapping, type RosterFormat } from './roster.js';

/** The exit codes, as the help text states them. */
export const EXIT = { imported: 0, someInvalid: 1, failed: 2 } as const;

/** How many invalid rows the human summary lists (--json gives up to 1000). */
const SHOWN_ERRORS = 10;

/** Options of `registry import`, as commander gives them. */
export interface ImportCommandOptions {
  readonly insurer: string;
  readonly format?: string;
  readonly mode?: string;
  readonly column?: readonly string[];
  readonly delimiter?: string;
  readonly json?: boolean;
  /** Full imports: end coverages however many the file omits (else at most half of them). */
  readonly allowMassEnd?: boolean;
}

/** Where a command reads its environment and input, and writes. */
export interface Terminal {
  readonly env: NodeJS.ProcessEnv;
  /** Standard output: the summary or the JSON report. */
  readonly out: (text: string) => void;
  /** Standard error: notes and errors. */
  readonly err: (text: string) => void;
  /** Where the progress bar is drawn (standard error when it is a terminal). */
  readonly progress?: NodeJS.WritableStream;
  /** The roster when the file is "-". */
  readonly stdin?: Readable;
}

/** The command cannot run as asked (exit 2, before anything is written). */
class UsageError extends Error {}

/** Runs `passerelle registry import` and returns its exit code; never throws. */
export async function runRegistryImport(file: string, options: ImportCommandOptions, terminal: Terminal): Promise<number> {
  let db: Database | undefined;
  let handle: FileHandle | undefined;
  try {
    const request = importRequest(file, options);
    const config = configFrom(terminal.env);
    const input = file === '-' ? { stream: terminal.stdin ?? process.stdin, size: undefined } : await openFile(file, (h) => (handle = h));
    db = await openDatabase(config);
    if (db.kind === 'pglite') terminal.err(`Importing into the embedded database under ${config.dataDir}: the gateway must be stopped.`);
    await migrate(db);
    const bar = options.json ? undefined : progressBar(terminal.progress, input.size);
    let report: ImportReport;
    try {
      report = await importRoster(db, {
        insurerId: options.insurer, ...request, input: input.stream, sourceName: file === '-' ? 'stdin' : basename(file), onProgress: bar?.update,
        ...(options.allowMassEnd ? { maxEndedShare: 1 } : {}),
      });
    } finally {
      bar?.stop();
    }
    terminal.out(options.json ? JSON.stringify({ insurerId: options.insurer, ...request, ...report }, null, 2) : summary(options.insurer, request.mode, report));
    return report.invalid > 0 ? EXIT.someInvalid : EXIT.imported;
  } catch (err) {
    const message = failureText(err);
    terminal.err(message);
    if (options.json) terminal.out(JSON.stringify({ error: message, ...(err instanceof ImportFailedError ? { importId: err.importId } : {}) }, null, 2));
    return EXIT.failed;
  } finally {
    await handle?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
  }
}

/** The import options of the command line, checked before anything is opened. */
function importRequest(file: string, options: ImportCommandOptions): { format: RosterFormat; mode: ImportMode; columns: ColumnMapping; delimiter?: ',' | ';' } {
  const format = options.format ?? formatOf(file);
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError(`--format takes csv or ndjson, not "${format}"`);
  const mode = options.mode ?? 'full';
  if (mode !== 'full' && mode !== 'delta') throw new UsageError(`--mode takes full or delta, not "${mode}"`);
  const delimiter = options.delimiter;
  if (delimiter !== undefined && delimiter !== ',' && delimiter !== ';') throw new UsageError(`--delimiter takes , or ; not "${delimiter}"`);
  const columns: Record<string, string> = {};
  for (const pair of options.column ?? []) {
    const [column, header] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (!pair.includes('=') || !column || !header) throw new UsageError(`--column takes column=HEADER, such as member_id=MATRICULE, not "${pair}"`);
    columns[column.trim()] = header;
  }
  try {
    checkColumnMapping(columns);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { format, mode, columns, ...(delimiter ? { delimiter } : {}) };
}

function formatOf(file: string): string {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  throw new UsageError(`Cannot tell the format of ${file === '-' ? 'standard input' : file} from its name: give --format csv or --format ndjson`);
}

function configFrom(env: NodeJS.ProcessEnv) {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function openFile(file: string, keep: (handle: FileHandle) => void): Promise<{ stream: Readable; size?: number }> {
  try {
    const handle = await open(file, 'r');
    keep(handle);
    const info = await handle.stat();
    if (!info.isFile()) throw new Error('not a file');
    return { stream: handle.createReadStream({ autoClose: false }), size: info.size };
  } catch (err) {
    throw new UsageError(`Cannot read ${file}: ${(err as Error).message}`);
  }
}

/** A bar by bytes when the size is known; else a counter. Rows per second either way. */
function progressBar(stream: NodeJS.WritableStream | undefined, size: number | undefined): { update: (bytes: number, rows: number) => void; stop: () => void } | undefined {
  if (!stream) return undefined;
  const format = size ? '{bar} {percentage}% | {rows} rows | {speed} rows/s | ETA {eta_formatted}' : '{rows} rows | {speed} rows/s';
  const bar = new cliProgress.SingleBar({ stream, format, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  bar.start(size ?? 0, 0, { rows: 0, speed: 0 });
  return {
    update: (bytes, rows) => bar.update(size ? bytes : 0, { rows: count(rows), speed: count(rows / Math.max(0.001, (performance.now() - started) / 1000)) }),
    stop: () => bar.stop(),
  };
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** The human summary of a committed import. */
export function summary(insurerId: string, mode: ImportMode, report: ImportReport): string {
  const seconds = report.durationMs / 1000;
  const lines = [
    `Imported ${count(report.imported)} ${report.imported === 1 ? 'coverage' : 'coverages'} into the registry of ${insurerId} (${mode} import #${report.importId}).`,
    `Rows read: ${count(report.rowsRead)}; invalid rows skipped: ${count(report.invalid)}; `
      + (mode === 'full' ? `ended (missing from this full import): ${count(report.ended)}.` : 'ended: none (a delta import ends nobody).'),
    `Time: ${seconds.toFixed(1)} s, ${count(report.imported / Math.max(seconds, 0.001))} members/s.`,
  ];
  if (report.invalid > 0) {
    const shown = report.errors.slice(0, SHOWN_ERRORS);
    lines.push(`Invalid rows (the first ${shown.length} of ${count(report.invalid)}; --json lists up to ${report.errors.length}):`);
    for (const e of shown) lines.push(`  line ${e.line}: ${e.message}`);
  }
  return lines.join('\n');
}

function failureText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ImportFailedError) {
    const cause = err.cause instanceof RosterFormatError ? 'the file cannot be read as a roster: ' : '';
    return `Import #${err.importId} failed; nothing was imported: ${cause}${message}`;
  }
  if (err instanceof UsageError || err instanceof ImportRefusedError) return message;
  return `Nothing was imported: ${message}`;
}

// ---- status -----------------------------------------------------------------------------------------

/** Runs `passerelle registry status`: coverages by status, the incremental sync, the last imports. */
export async function runRegistryStatus(options: { insurer: string; json?: boolean; last?: string }, terminal: Terminal): Promise<number> {
  let db: Database | undefined;
  try {
    const last = Number(options.last ?? 10);
    if (!Number.isInteger(last) || last < 1 || last > 1000) throw new UsageError(`--last takes a number from 1 to 1000, not "${options.last}"`);
    db = await openDatabase(configFrom(terminal.env));
    await migrate(db);
    const participant = await new ParticipantRegistry(db).get(options.insurer);
    if (!participant) throw new UsageError(`No participant "${options.insurer}" is registered`);
    if (participant.kind !== 'insurer') throw new UsageError(`"${options.insurer}" is a ${participant.kind}, not an insurer`);
    const store = new MemberStore(db);
    const [counts, sync, imports] = [await store.counts(options.insurer), await store.syncState(options.insurer), await store.recentImports(options.insurer, last)];
    const status = { insurerId: options.insurer, eligibility: participant.eligibility ?? null, coverages: counts, sync, imports };
    terminal.out(options.json ? JSON.stringify(status, null, 2) : statusText(status));
    return 0;
  } catch (err) {
    terminal.err(err instanceof UsageError ? err.message : `Cannot read the registry: ${(err as Error).message}`);
    return EXIT.failed;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

type Status = {
  insurerId: string; eligibility: { mode: string; memberSystem: string } | null; coverages: Record<string, number>;
  sync: Awaited<ReturnType<MemberStore['syncState']>>; imports: RegistryImport[];
};

function statusText(s: Status): string {
  const lines = [
    `Registry of ${s.insurerId}: ${s.eligibility ? `eligibility ${s.eligibility.mode}, member system ${s.eligibility.memberSystem}` : 'no eligibility settings'}`,
    `Coverages: ${count(s.coverages.active ?? 0)} active, ${count(s.coverages.cancelled ?? 0)} cancelled, ${count(s.coverages.ended ?? 0)} ended`,
  ];
  if (s.sync.lastRunAt) {
    lines.push(`Incremental sync: last run ${s.sync.lastRunAt.toISOString()}, ${count(s.sync.lastPulled)} pulled${s.sync.lastError ? `, error: ${s.sync.lastError}` : ''}`);
  }
  lines.push(s.imports.length === 0 ? 'No import yet.' : 'Last imports:');
  for (const i of s.imports) {
    const took = i.finishedAt ? `${((Date.parse(i.finishedAt) - Date.parse(i.startedAt)) / 1000).toFixed(1)} s` : 'still running (or stopped)';
    lines.push(`  #${i.id} ${i.startedAt} ${i.mode} ${i.format} ${i.status} (${took}): ${count(i.rowsRead)} rows read, ${count(i.imported)} imported, `
      + `${count(i.invalid)} invalid, ${count(i.ended)} ended${i.source ? ` [${i.source}]` : ''}${i.error ? `\n      error: ${i.error}` : ''}`);
  }
  return lines.join('\n');
}

// ---- registration -------------------------------------------------------------------------------------

const IMPORT_HELP = `
The roster (docs/eligibility-roster.md):
  CSV     a header row, then one coverage a row; comma or semicolon (detected from the header, or
          --delimiter); UTF-8, with or without BOM. Columns: member_id (required), coverage_id (default:
          member_id), plan, start (required), end, status (active | cancelled; default active),
          relationship (self, spouse, child, parent, common, injured, other), subscriber_id. Dates
          YYYY-MM-DD or DD/MM/YYYY. Other columns are ignored; --column maps yours to ours.
  NDJSON  FHIR bulk data: one Coverage or Patient a line. The member number is the Coverage.identifier
          of the insurer's member system, else that of its beneficiary Patient on an earlier line.

Modes:
  full    the roster lists every coverage: coverages it omits are ended (status ended, period cut at
          yesterday; the rows are kept and come back to life if a later roster lists them again).
  delta   the roster lists changes only: nobody is ended.
The import is one transaction: lookups see the registry as before or as after, never half-imported.
Invalid rows are skipped and reported by line; in a full import their coverages are kept as they were.

Database: DATABASE_URL, else the embedded database under DATA_DIR. The embedded database can be opened
by one process only: import into it only while the gateway is stopped.

Exit codes:
  0  every row imported
  1  imported, but some rows were invalid and skipped (listed by line)
  2  nothing imported: bad option, unreadable file, unknown insurer or insurer not synced, a file that
     cannot be read as a roster, database error

Examples:
  passerelle registry import --insurer ipm-dakar roster.csv
  passerelle registry import --insurer ipm-dakar --delimiter ';' --column member_id=MATRICULE --column start=DEBUT adherents.csv
  passerelle registry import --insurer ipm-dakar --mode delta --json changes.ndjson > report.json
  gunzip -c roster.csv.gz | passerelle registry import --insurer ipm-dakar --format csv -`;

/** Adds the registry commands to the program. */
export function addRegistryCommands(program: Command): void {
  const collect = (value: string, previous: string[]) => [...previous, value];
  const terminal = (): Terminal => ({
    env: process.env,
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    progress: process.stderr.isTTY ? process.stderr : undefined,
    stdin: process.stdin,
  });
  const exitCodes = (err: { exitCode: number }) => process.exit(err.exitCode === 0 ? 0 : EXIT.failed);
  const registry = program.command('registry').description("insurers' member registries kept by the gateway (synced eligibility)");
  registry.command('import')
    .description("import an insurer's roster (CSV or FHIR NDJSON) into its synced registry, in one transaction")
    .argument('<file>', 'the roster file, or - for standard input')
    .requiredOption('--insurer <id>', 'the insurer (a participant with eligibility mode "synced")')
    .addOption(new Option('--format <format>', 'roster format (default: from the extension: .csv, .ndjson, .jsonl)').choices(['csv', 'ndjson']))
    .addOption(new Option('--mode <mode>', 'full: coverages the roster omits are ended; delta: nobody is ended').choices(['full', 'delta']).default('full'))
    .option('--column <column=HEADER>', 'CSV: the header of one of our columns in your file, e.g. member_id=MATRICULE (repeatable)', collect, [])
    .addOption(new Option('--delimiter <separator>', 'CSV: the separator (default: detected from the header)').choices([',', ';']))
    .option('--allow-mass-end', 'full mode: end the coverages the file omits even when they are more than half of the registry (else refused: a truncated file?)')
    .option('--json', 'print the report as JSON: counts and up to 1000 invalid rows')
    .addHelpText('after', IMPORT_HELP)
    .exitOverride(exitCodes)
    .action(async (file: string, options: ImportCommandOptions) => {
      process.exitCode = await runRegistryImport(file, options, terminal());
    });
  registry.command('status')
    .description("an insurer's synced registry: coverages by status, incremental sync, last imports")
    .requiredOption('--insurer <id>', 'the insurer')
    .option('--last <n>', 'how many imports to list', '10')
    .option('--json', 'print the status as JSON')
    .exitOverride(exitCodes)
    .action(async (options: { insurer: string; json?: boolean; last?: string }) => {
      process.exitCode = await runRegistryStatus(options, terminal());
    });
}
