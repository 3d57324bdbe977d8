/**
 * `passerelle registry import` and `passerelle registry status`: the operator's commands for the synced
 * member registries (docs/eligibility-roster.md). They open the deployment's database from the gateway's
 * configuration (DATABASE_URL, else the embedded database under DATA_DIR, which only one process may
 * open: import into it only while the gateway is stopped). Exit codes: 0 every row imported, 1 imported
 * but some rows were invalid (skipped), 2 nothing imported (refused, unreadable file, failed import).
 * Their messages, help included, are in English or French as for the other commands (docs/cli.md):
 * --lang, else the locale.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import {
  TEXTS as SHARED, helpLanguage, languageOption, processTerminal, runGatewayCommand, setUpGatewayCommand, type Terminal,
} from '../operations/gateway-command.js';
import { ParticipantRegistry } from '../participants/registry.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import type { Language } from '../validation/rules.js';
import { MemberStore, importInLanguage, type RegistryImport } from './member-store.js';
import { ImportFailedError, ImportRefusedError, importRoster, isDatabaseError, type ImportMode, type ImportReport } from './roster-import.js';
import { RosterFormatError, checkColumnMapping, type ColumnMapping, type RosterFormat } from './roster.js';

export type { Terminal };

/** The exit codes, as the help text states them. */
export const EXIT = { imported: 0, someInvalid: 1, failed: 2 } as const;

/** How many invalid rows the human summary lists (--json gives up to 1000). */
const SHOWN_ERRORS = 10;

/** How many of the invalid rows kept with each import `registry status` lists. */
const SHOWN_STORED_ERRORS = 3;

/** Options of `registry import`, as commander gives them. */
export interface ImportCommandOptions {
  readonly insurer?: string;
  readonly format?: string;
  readonly mode?: string;
  readonly column?: readonly string[];
  readonly delimiter?: string;
  readonly json?: boolean;
  /** Full imports: end coverages however many the file omits (else at most half of them). */
  readonly allowMassEnd?: boolean;
  readonly lang?: string;
}

/** Options of `registry status`, as commander gives them. */
export interface StatusCommandOptions {
  readonly insurer?: string;
  readonly json?: boolean;
  readonly last?: string;
  readonly lang?: string;
}

/** The command cannot run as asked (exit 2, before anything is written); its message is in the command's language. */
class UsageError extends Error {}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

type Eligibility = { mode: string; memberSystem: string } | null;

/** What the registry commands print, in each language. Counts, ids, modes, formats and statuses stay as they are. */
const TEXTS = {
  en: {
    embedded: (dir: string) => `Importing into the embedded database under ${dir}: the gateway must be stopped.`,
    insurerMissing: "--insurer <id> is required: the insurer whose registry this is",
    formatChoice: (value: string) => `--format takes csv or ndjson, not "${value}"`,
    modeChoice: (value: string) => `--mode takes full or delta, not "${value}"`,
    delimiterChoice: (value: string) => `--delimiter takes , or ; not "${value}"`,
    columnPair: (value: string) => `--column takes column=HEADER, such as member_id=MATRICULE, not "${value}"`,
    lastChoice: (value: string) => `--last takes a number from 1 to 1000, not "${value}"`,
    formatUnknown: (file: string) => `Cannot tell the format of ${file === '-' ? 'standard input' : file} from its name: give --format csv or --format ndjson`,
    cannotRead: (file: string, detail: string) => `Cannot read ${file}: ${detail}`,
    notAFile: 'not a file',
    config: (detail: string) => detail,
    noParticipant: (id: string) => `No participant "${id}" is registered`,
    notInsurer: (id: string, kind: string) => `"${id}" is a ${kind}, not an insurer`,
    cannotReadRegistry: (detail: string) => `Cannot read the registry: ${detail}`,
    importFailed: (id: number, roster: boolean, detail: string) => `Import #${id} failed; nothing was imported: ${roster ? 'the file cannot be read as a roster: ' : ''}${detail}`,
    nothingImported: (detail: string) => `Nothing was imported: ${detail}`,
    progress: { sized: '{bar} {percentage}% | {rows} rows | {speed} rows/s | ETA {eta_formatted}', unsized: '{rows} rows | {speed} rows/s' },
    imported: (n: number, insurerId: string, mode: ImportMode, id: number) =>
      `Imported ${count(n)} ${n === 1 ? 'coverage' : 'coverages'} into the registry of ${insurerId} (${mode} import #${id}).`,
    rows: (read: number, invalid: number) => `Rows read: ${count(read)}; invalid rows skipped: ${count(invalid)}; `,
    endedFull: (n: number) => `ended (missing from this full import): ${count(n)}.`,
    endedDelta: 'ended: none (a delta import ends nobody).',
    time: (seconds: number, rate: number) => `Time: ${seconds.toFixed(1)} s, ${count(rate)} members/s.`,
    invalidRows: (shown: number, invalid: number, listed: number) => `Invalid rows (the first ${shown} of ${count(invalid)}; --json lists up to ${listed}):`,
    line: (line: number, message: string) => `line ${line}: ${message}`,
    registry: (insurerId: string, e: Eligibility) => `Registry of ${insurerId}: ${e ? `eligibility ${e.mode}, member system ${e.memberSystem}` : 'no eligibility settings'}`,
    coverages: (c: Record<string, number>) => `Coverages: ${count(c.active ?? 0)} active, ${count(c.cancelled ?? 0)} cancelled, ${count(c.ended ?? 0)} ended`,
    sync: (at: string, pulled: number, error?: string) => `Incremental sync: last run ${at}, ${count(pulled)} pulled${error ? `, error: ${error}` : ''}`,
    noImport: 'No import yet.',
    lastImports: 'Last imports:',
    stillRunning: 'still running (or stopped)',
    importLine: (i: RegistryImport, took: string) => `#${i.id} ${i.startedAt} ${i.mode} ${i.format} ${i.status} (${took}): ${count(i.rowsRead)} rows read, `
      + `${count(i.imported)} imported, ${count(i.invalid)} invalid, ${count(i.ended)} ended${i.source ? ` [${i.source}]` : ''}`,
    importError: (message: string) => `error: ${message}`,
    moreInvalid: (n: number) => `… and ${count(n)} more invalid row(s)`,
    help: {
      group: "insurers' member registries kept by the gateway (synced eligibility)",
      import: "import an insurer's roster (CSV or FHIR NDJSON) into its synced registry, in one transaction",
      file: 'the roster file, or - for standard input',
      insurer: 'the insurer (a participant with eligibility mode "synced"); required',
      format: 'roster format, csv or ndjson (default: from the extension: .csv, .ndjson, .jsonl)',
      mode: 'full (default): coverages the roster omits are ended; delta: nobody is ended',
      column: 'CSV: the header of one of our columns in your file, e.g. member_id=MATRICULE (repeatable)',
      delimiter: 'CSV: the separator, , or ; (default: detected from the header)',
      allowMassEnd: 'full mode: end the coverages the file omits even when they are more than half of the registry (else refused: a truncated file?)',
      json: 'print the report as JSON: counts and up to 1000 invalid rows',
      status: "an insurer's synced registry: coverages by status, incremental sync, last imports",
      statusInsurer: 'the insurer; required',
      last: 'how many imports to list (default 10)',
      statusJson: 'print the status as JSON',
      importNote: `The roster (docs/eligibility-roster.md):
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
by one process only: import into it only while the gateway is stopped.`,
      statusNote: `Database: DATABASE_URL, else the embedded database under DATA_DIR. Each import is listed with its
counts, its error if it failed, and the first invalid rows it skipped.`,
      importExitCodes: `Exit codes:
  0  every row imported
  1  imported, but some rows were invalid and skipped (listed by line)
  2  nothing imported: bad option, unreadable file, unknown insurer or insurer not synced, a file that
     cannot be read as a roster, database error`,
      statusExitCodes: `Exit codes:
  0  the registry is shown
  2  bad option, unknown insurer or not an insurer, database error`,
      groupExitCodes: `Exit codes:
  0  done: every row imported (import), the registry shown (status)
  1  import: imported, but some rows were invalid and skipped (listed by line)
  2  nothing imported or shown: bad option, unreadable file, unknown insurer, a file that cannot be read
     as a roster, database error`,
    },
  },
  fr: {
    embedded: (dir: string) => `Import dans la base embarquée sous ${dir} : la passerelle doit être arrêtée.`,
    insurerMissing: "--insurer <id> est obligatoire : l'assureur dont c'est le registre",
    formatChoice: (value: string) => `--format prend csv ou ndjson, pas « ${value} »`,
    modeChoice: (value: string) => `--mode prend full ou delta, pas « ${value} »`,
    delimiterChoice: (value: string) => `--delimiter prend , ou ; pas « ${value} »`,
    columnPair: (value: string) => `--column prend colonne=EN-TÊTE, par exemple member_id=MATRICULE, pas « ${value} »`,
    lastChoice: (value: string) => `--last prend un nombre de 1 à 1000, pas « ${value} »`,
    formatUnknown: (file: string) => `Impossible de déduire le format de ${file === '-' ? "l'entrée standard" : file} de son nom : donnez --format csv ou --format ndjson`,
    cannotRead: (file: string, detail: string) => `Impossible de lire ${file} : ${detail}`,
    notAFile: "ce n'est pas un fichier",
    config: (detail: string) => `Configuration de la passerelle invalide : ${detail}`,
    noParticipant: (id: string) => `Aucun participant « ${id} » n'est enregistré`,
    notInsurer: (id: string, kind: string) => `« ${id} » est un participant ${kind}, pas un assureur`,
    cannotReadRegistry: (detail: string) => `Impossible de lire le registre : ${detail}`,
    importFailed: (id: number, roster: boolean, detail: string) =>
      `L'import #${id} a échoué ; rien n'a été importé : ${roster ? "le fichier ne se lit pas comme un fichier d'adhérents : " : ''}${detail}`,
    nothingImported: (detail: string) => `Rien n'a été importé : ${detail}`,
    progress: { sized: '{bar} {percentage} % | {rows} lignes | {speed} lignes/s | reste {eta_formatted}', unsized: '{rows} lignes | {speed} lignes/s' },
    imported: (n: number, insurerId: string, mode: ImportMode, id: number) =>
      `${count(n)} ${n <= 1 ? 'couverture importée' : 'couvertures importées'} dans le registre de ${insurerId} (import ${mode} #${id}).`,
    rows: (read: number, invalid: number) => `Lignes lues : ${count(read)} ; lignes invalides ignorées : ${count(invalid)} ; `,
    endedFull: (n: number) => `terminées (absentes de cet import complet) : ${count(n)}.`,
    endedDelta: "terminées : aucune (un import delta ne termine personne).",
    time: (seconds: number, rate: number) => `Durée : ${seconds.toFixed(1)} s, ${count(rate)} adhérents/s.`,
    invalidRows: (shown: number, invalid: number, listed: number) => `Lignes invalides (les ${shown} premières sur ${count(invalid)} ; --json en liste jusqu'à ${listed}) :`,
    line: (line: number, message: string) => `ligne ${line} : ${message}`,
    registry: (insurerId: string, e: Eligibility) =>
      `Registre de ${insurerId} : ${e ? `éligibilité ${e.mode}, système d'adhérent ${e.memberSystem}` : "aucun réglage d'éligibilité"}`,
    coverages: (c: Record<string, number>) => `Couvertures : ${count(c.active ?? 0)} actives, ${count(c.cancelled ?? 0)} annulées, ${count(c.ended ?? 0)} terminées`,
    sync: (at: string, pulled: number, error?: string) => `Synchronisation incrémentale : dernière exécution ${at}, ${count(pulled)} reçue(s)${error ? `, erreur : ${error}` : ''}`,
    noImport: "Aucun import pour l'instant.",
    lastImports: 'Derniers imports :',
    stillRunning: 'toujours en cours (ou arrêté)',
    importLine: (i: RegistryImport, took: string) => `#${i.id} ${i.startedAt} ${i.mode} ${i.format} ${i.status} (${took}) : ${count(i.rowsRead)} lignes lues, `
      + `${count(i.imported)} importées, ${count(i.invalid)} invalides, ${count(i.ended)} terminées${i.source ? ` [${i.source}]` : ''}`,
    importError: (message: string) => `erreur : ${message}`,
    moreInvalid: (n: number) => `… et ${count(n)} autre(s) ligne(s) invalide(s)`,
    help: {
      group: 'les registres d’adhérents des assureurs que tient la passerelle (éligibilité synchronisée)',
      import: "importe le fichier d'adhérents d'un assureur (CSV ou NDJSON FHIR) dans son registre synchronisé, en une transaction",
      file: "le fichier d'adhérents, ou - pour l'entrée standard",
      insurer: "l'assureur (un participant en mode d'éligibilité « synced ») ; obligatoire",
      format: "format du fichier, csv ou ndjson (par défaut : d'après l'extension : .csv, .ndjson, .jsonl)",
      mode: 'full (par défaut) : les couvertures absentes du fichier sont terminées ; delta : personne n’est terminé',
      column: "CSV : l'en-tête d'une de nos colonnes dans votre fichier, par exemple member_id=MATRICULE (répétable)",
      delimiter: "CSV : le séparateur, , ou ; (par défaut : détecté d'après l'en-tête)",
      allowMassEnd: 'mode full : terminer les couvertures absentes du fichier même si elles sont plus de la moitié du registre (sinon refusé : un fichier tronqué ?)',
      json: "afficher le rapport en JSON : les compteurs et jusqu'à 1000 lignes invalides",
      status: "le registre synchronisé d'un assureur : couvertures par statut, synchronisation incrémentale, derniers imports",
      statusInsurer: "l'assureur ; obligatoire",
      last: "combien d'imports lister (10 par défaut)",
      statusJson: "afficher l'état en JSON",
      importNote: `Le fichier d'adhérents (docs/eligibility-roster.md) :
  CSV     une ligne d'en-tête, puis une couverture par ligne ; virgule ou point-virgule (détecté d'après
          l'en-tête, ou --delimiter) ; UTF-8, avec ou sans BOM. Colonnes : member_id (obligatoire),
          coverage_id (par défaut : member_id), plan, start (obligatoire), end, status (active | cancelled ;
          active par défaut), relationship (self, spouse, child, parent, common, injured, other),
          subscriber_id. Dates AAAA-MM-JJ ou JJ/MM/AAAA. Les autres colonnes sont ignorées ; --column
          associe les vôtres aux nôtres.
  NDJSON  FHIR bulk data : une Coverage ou un Patient par ligne. Le numéro d'adhérent est le
          Coverage.identifier du système d'adhérent de l'assureur, sinon celui de son Patient bénéficiaire
          sur une ligne précédente.

Modes :
  full    le fichier liste toutes les couvertures : celles qu'il omet sont terminées (statut ended, période
          coupée à la veille ; les lignes sont gardées et reprennent vie si un fichier suivant les liste).
  delta   le fichier ne liste que des changements : personne n'est terminé.
L'import est une seule transaction : les consultations voient le registre d'avant ou d'après, jamais à
moitié importé. Les lignes invalides sont ignorées et signalées par numéro de ligne ; dans un import full,
leurs couvertures restent telles quelles.

Base de données : DATABASE_URL, sinon la base embarquée sous DATA_DIR. La base embarquée ne s'ouvre que
dans un processus à la fois : n'y importez que lorsque la passerelle est arrêtée.`,
      statusNote: `Base de données : DATABASE_URL, sinon la base embarquée sous DATA_DIR. Chaque import est listé avec
ses compteurs, son erreur s'il a échoué, et les premières lignes invalides qu'il a ignorées.`,
      importExitCodes: `Codes de sortie :
  0  toutes les lignes importées
  1  importé, mais des lignes étaient invalides et ont été ignorées (listées par numéro de ligne)
  2  rien n'a été importé : option fausse, fichier illisible, assureur inconnu ou non synchronisé, fichier
     qui ne se lit pas comme un fichier d'adhérents, erreur de base de données`,
      statusExitCodes: `Codes de sortie :
  0  le registre est affiché
  2  option fausse, assureur inconnu ou participant qui n'est pas un assureur, erreur de base de données`,
      groupExitCodes: `Codes de sortie :
  0  fait : toutes les lignes importées (import), le registre affiché (status)
  1  import : importé, mais des lignes étaient invalides et ont été ignorées (listées par numéro de ligne)
  2  rien n'a été importé ni affiché : option fausse, fichier illisible, assureur inconnu, fichier qui ne
     se lit pas comme un fichier d'adhérents, erreur de base de données`,
    },
  },
} as const;

type Texts = (typeof TEXTS)[Language];

/** Runs `passerelle registry import` and returns its exit code; never throws. */
export async function runRegistryImport(file: string, options: ImportCommandOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language }) => {
    const t = TEXTS[language];
    let db: Database | undefined;
    let handle: FileHandle | undefined;
    try {
      const request = importRequest(file, options, language);
      const config = configFrom(terminal.env, t);
      const input = file === '-' ? { stream: terminal.stdin ?? process.stdin, size: undefined } : await openFile(file, (h) => (handle = h), t);
      db = await openDatabase(config);
      if (db.kind === 'pglite') terminal.err(t.embedded(config.dataDir));
      await migrate(db);
      const bar = options.json ? undefined : progressBar(terminal.progress, input.size, t);
      let report: ImportReport;
      try {
        report = await importRoster(db, {
          insurerId: request.insurerId, format: request.format, mode: request.mode, columns: request.columns, ...(request.delimiter ? { delimiter: request.delimiter } : {}),
          input: input.stream, sourceName: file === '-' ? 'stdin' : basename(file), onProgress: bar?.update, ...(options.allowMassEnd ? { maxEndedShare: 1 } : {}),
        });
      } finally {
        bar?.stop();
      }
      terminal.out(options.json ? JSON.stringify({ ...request, ...report, errors: report.errors.map((e) => ({ line: e.line, message: e.message[language] })) }, null, 2)
        : summary(request.insurerId, request.mode, report, language));
      return report.invalid > 0 ? EXIT.someInvalid : EXIT.imported;
    } catch (err) {
      const message = failureText(err, language);
      terminal.err(message);
      if (options.json) terminal.out(JSON.stringify({ error: message, ...(err instanceof ImportFailedError ? { importId: err.importId } : {}) }, null, 2));
      return EXIT.failed;
    } finally {
      await handle?.close().catch(() => undefined);
      await db?.close().catch(() => undefined);
    }
  });
}

/** The import options of the command line, checked before anything is opened. */
function importRequest(file: string, options: ImportCommandOptions, language: Language): {
  insurerId: string; format: RosterFormat; mode: ImportMode; columns: ColumnMapping; delimiter?: ',' | ';';
} {
  const t = TEXTS[language];
  const insurerId = options.insurer;
  if (!insurerId) throw new UsageError(t.insurerMissing);
  const format = options.format ?? formatOf(file, t);
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError(t.formatChoice(format));
  const mode = options.mode ?? 'full';
  if (mode !== 'full' && mode !== 'delta') throw new UsageError(t.modeChoice(mode));
  const delimiter = options.delimiter;
  if (delimiter !== undefined && delimiter !== ',' && delimiter !== ';') throw new UsageError(t.delimiterChoice(delimiter));
  const columns: Record<string, string> = {};
  for (const pair of options.column ?? []) {
    const [column, header] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (!pair.includes('=') || !column || !header) throw new UsageError(t.columnPair(pair));
    columns[column.trim()] = header;
  }
  try {
    checkColumnMapping(columns);
  } catch (err) {
    if (err instanceof RosterFormatError) throw new UsageError(err.text[language]);
    throw err;
  }
  return { insurerId, format, mode, columns, ...(delimiter ? { delimiter } : {}) };
}

function formatOf(file: string, t: Texts): string {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  throw new UsageError(t.formatUnknown(file));
}

function configFrom(env: NodeJS.ProcessEnv, t: Texts) {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(t.config(err.message));
    throw err;
  }
}

async function openFile(file: string, keep: (handle: FileHandle) => void, t: Texts): Promise<{ stream: NodeJS.ReadableStream; size?: number }> {
  let opened: { stream: NodeJS.ReadableStream; size?: number } | undefined;
  try {
    const handle = await open(file, 'r');
    keep(handle);
    const info = await handle.stat();
    if (info.isFile()) opened = { stream: handle.createReadStream({ autoClose: false }), size: info.size };
  } catch (err) {
    throw new UsageError(t.cannotRead(file, (err as Error).message));
  }
  if (!opened) throw new UsageError(t.cannotRead(file, t.notAFile));
  return opened;
}

/** A bar by bytes when the size is known; else a counter. Rows per second either way. */
function progressBar(stream: NodeJS.WritableStream | undefined, size: number | undefined, t: Texts): { update: (bytes: number, rows: number) => void; stop: () => void } | undefined {
  if (!stream) return undefined;
  const bar = new cliProgress.SingleBar({ stream, format: size ? t.progress.sized : t.progress.unsized, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
  const started = performance.now();
  bar.start(size ?? 0, 0, { rows: 0, speed: 0 });
  return {
    update: (bytes, rows) => bar.update(size ? bytes : 0, { rows: count(rows), speed: count(rows / Math.max(0.001, (performance.now() - started) / 1000)) }),
    stop: () => bar.stop(),
  };
}

/** The human summary of a committed import, in the language. */
export function summary(insurerId: string, mode: ImportMode, report: ImportReport, language: Language = 'en'): string {
  const t = TEXTS[language];
  const seconds = report.durationMs / 1000;
  const lines = [
    t.imported(report.imported, insurerId, mode, report.importId),
    t.rows(report.rowsRead, report.invalid) + (mode === 'full' ? t.endedFull(report.ended) : t.endedDelta),
    t.time(seconds, report.imported / Math.max(seconds, 0.001)),
  ];
  if (report.invalid > 0) {
    const shown = report.errors.slice(0, SHOWN_ERRORS);
    lines.push(t.invalidRows(shown.length, report.invalid, report.errors.length));
    for (const e of shown) lines.push(`  ${t.line(e.line, e.message[language])}`);
  }
  return lines.join('\n');
}

function failureText(err: unknown, language: Language): string {
  const t = TEXTS[language];
  if (err instanceof UsageError) return err.message;
  if (err instanceof ImportRefusedError) return err.text[language];
  // A database error's own message is shown here, to the operator who ran the import, but never stored (it can quote the file's values).
  if (err instanceof ImportFailedError) return t.importFailed(err.importId, err.cause instanceof RosterFormatError, err.text[language] + (isDatabaseError(err.cause) ? `: ${err.message}` : ''));
  return t.nothingImported(err instanceof Error ? err.message : String(err));
}

// ---- status -----------------------------------------------------------------------------------------

/** Runs `passerelle registry status`: coverages by status, the incremental sync, the last imports. Never throws. */
export async function runRegistryStatus(options: StatusCommandOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language }) => {
    const t = TEXTS[language];
    let db: Database | undefined;
    try {
      const insurerId = options.insurer;
      if (!insurerId) throw new UsageError(t.insurerMissing);
      const last = Number(options.last ?? 10);
      if (!Number.isInteger(last) || last < 1 || last > 1000) throw new UsageError(t.lastChoice(String(options.last)));
      db = await openDatabase(configFrom(terminal.env, t));
      await migrate(db);
      const participant = await new ParticipantRegistry(db).get(insurerId);
      if (!participant) throw new UsageError(t.noParticipant(insurerId));
      if (participant.kind !== 'insurer') throw new UsageError(t.notInsurer(insurerId, participant.kind));
      const store = new MemberStore(db);
      const [counts, sync, imports] = [await store.counts(insurerId), await store.syncState(insurerId), await store.recentImports(insurerId, last)];
      const status: Status = { insurerId, eligibility: participant.eligibility ?? null, coverages: counts, sync, imports };
      terminal.out(options.json ? JSON.stringify({ ...status, imports: imports.map((i) => importInLanguage(i, language)) }, null, 2) : statusText(status, language));
      return 0;
    } catch (err) {
      terminal.err(err instanceof UsageError ? err.message : t.cannotReadRegistry((err as Error).message));
      return EXIT.failed;
    } finally {
      await db?.close().catch(() => undefined);
    }
  });
}

type Status = {
  insurerId: string; eligibility: Eligibility; coverages: Record<string, number>;
  sync: Awaited<ReturnType<MemberStore['syncState']>>; imports: RegistryImport[];
};

function statusText(s: Status, language: Language): string {
  const t = TEXTS[language];
  const lines = [t.registry(s.insurerId, s.eligibility), t.coverages(s.coverages)];
  if (s.sync.lastRunAt) lines.push(t.sync(s.sync.lastRunAt.toISOString(), s.sync.lastPulled, s.sync.lastError));
  lines.push(s.imports.length === 0 ? t.noImport : t.lastImports);
  for (const i of s.imports) {
    const took = i.finishedAt ? `${((Date.parse(i.finishedAt) - Date.parse(i.startedAt)) / 1000).toFixed(1)} s` : t.stillRunning;
    lines.push(`  ${t.importLine(i, took)}`);
    if (i.error) lines.push(`      ${t.importError(i.error[language])}`);
    const shown = i.rowErrors.slice(0, SHOWN_STORED_ERRORS);
    for (const e of shown) lines.push(`      ${t.line(e.line, e.message[language])}`);
    if (shown.length > 0 && i.invalid > shown.length) lines.push(`      ${t.moreInvalid(i.invalid - shown.length)}`);
  }
  return lines.join('\n');
}

// ---- registration -------------------------------------------------------------------------------------

/** Adds the registry commands to the program. */
export function addRegistryCommands(program: Command): void {
  const language = helpLanguage();
  const t = TEXTS[language].help;
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const run = async (code: Promise<number>) => {
    process.exitCode = await code;
  };
  const importExamples = [
    'passerelle registry import --insurer ipm-dakar roster.csv',
    "passerelle registry import --insurer ipm-dakar --delimiter ';' --column member_id=MATRICULE --column start=DEBUT adherents.csv",
    'passerelle registry import --insurer ipm-dakar --mode delta --json changes.ndjson > report.json',
    'gunzip -c roster.csv.gz | passerelle registry import --insurer ipm-dakar --format csv -',
  ];
  const statusExamples = ['passerelle registry status --insurer ipm-dakar', 'passerelle registry status --insurer ipm-dakar --last 3 --json --lang fr'];
  const group = setUpGatewayCommand(program.command('registry').description(t.group), language, {
    examples: [importExamples[0]!, statusExamples[0]!], exitCodes: t.groupExitCodes,
  }).helpCommand('help [command]', SHARED[language].helpOption);
  setUpGatewayCommand(group.command('import').description(t.import).argument('<file>', t.file)
    .option('--insurer <id>', t.insurer)
    .option('--format <format>', t.format)
    .option('--mode <mode>', t.mode)
    .option('--column <column=HEADER>', t.column, collect)
    .option('--delimiter <separator>', t.delimiter)
    .option('--allow-mass-end', t.allowMassEnd)
    .option('--json', t.json)
    .option(...languageOption(language))
    .action(async (file: string, options: ImportCommandOptions) => run(runRegistryImport(file, options, processTerminal()))),
  language, { note: t.importNote, exitCodes: t.importExitCodes, examples: importExamples });
  setUpGatewayCommand(group.command('status').description(t.status)
    .option('--insurer <id>', t.statusInsurer)
    .option('--last <n>', t.last)
    .option('--json', t.statusJson)
    .option(...languageOption(language))
    .action(async (options: StatusCommandOptions) => run(runRegistryStatus(options, processTerminal()))),
  language, { note: t.statusNote, exitCodes: t.statusExitCodes, examples: statusExamples });
}
