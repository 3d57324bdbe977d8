/**
 * `passerelle validate`: the integrators' offline validator. It checks FHIR JSON files (.json: one
 * resource or Bundle; .ndjson: one resource a line) with the engine and the packs the gateway applies
 * on the request path, so a file that passes here passes the gateway's conformance check too, and it
 * reports every issue with its rule id and FHIRPath. Exit codes: 0 no file has an error (warnings
 * allowed), 1 some file has an error, 2 the command could not run as asked, 3 the validator failed
 * (a fault of Passerelle, never of the files).
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { parseJsonBody, type JsonLimits } from '../fhir/json-guard.js';
import { OperationOutcomeError, issue } from '../fhir/outcomes.js';
import { ParticipantRegistry } from '../participants/registry.js';
import { openDatabase, type Database } from '../store/database.js';
import type { Conformance } from './conformance.js';
import { BASE_PACK, type PackScheduleEntry, type PackVersion } from './packs.js';
import type { Language } from './rules.js';

/** The exit codes, as the help text states them. */
export const EXIT = { valid: 0, invalid: 1, usage: 2, internal: 3 } as const;

/** What one file (or one line of an .ndjson file) gave. */
export interface FileResult {
  readonly file: string;
  /** .ndjson: the line of the resource (1-based). */
  readonly line?: number;
  readonly valid: boolean;
  readonly issues: OperationOutcomeIssue[];
}

/** Every result, the pack versions applied, and the counts. */
export interface ValidationReport {
  readonly files: FileResult[];
  readonly packs: string[];
  readonly summary: { readonly files: number; readonly resources: number; readonly errors: number; readonly warnings: number };
}

/** How the files are checked. */
export interface ValidationRun {
  readonly language: Language;
  /** The pack versions in force (resolvePacks). */
  readonly packs: readonly PackVersion[];
  /** Profiles the root resource of every file must meet as well. */
  readonly profiles?: readonly string[];
  /** The gateway's body limits (JSON_MAX_DEPTH, JSON_MAX_ARRAY_LENGTH). */
  readonly jsonLimits: JsonLimits;
  readonly onProgress?: (done: number, total: number) => void;
}

/** The command cannot run as asked (exit 2); the message is ready for the user, in their language. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The validator itself failed (exit 3): a fault of Passerelle, never of the file. */
export class ValidatorCrash extends Error {
  override readonly name = 'ValidatorCrash';
  constructor(readonly file: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

type Json = Record<string, unknown>;

const SKIPPED_FOLDERS = new Set(['node_modules']);
const EXTENSIONS = new Set(['.json', '.ndjson']);
const DEMO_SEED = fileURLToPath(new URL('../demo/seed/demo-participants.json', import.meta.url));

/**
 * The files under the paths given: files as named (whatever their extension), folders walked for
 * .json and .ndjson files (never into node_modules or dot-folders). Each file once, sorted.
 */
export async function collectFiles(paths: readonly string[], t: Texts = TEXTS.en): Promise<{ files: string[]; walkedFolder: boolean }> {
  const found = new Map<string, string>();
  let walkedFolder = false;
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(t.pathNotFound(path));
    if (info.isDirectory()) {
      walkedFolder = true;
      await walk(path, found, t);
    } else {
      found.set(resolve(path), path);
    }
  }
  if (found.size === 0) throw new UsageError(t.noFiles());
  return { files: [...found.values()].sort(), walkedFolder };
}

async function walk(folder: string, found: Map<string, string>, t: Texts): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((err: Error) => {
    throw new UsageError(t.folderUnreadable(folder, err.message), { cause: err });
  });
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name)) await walk(path, found, t);
    } else if (EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      // A symbolic link is taken when it names a file; linked folders are not followed (no loops).
      const isFile = entry.isFile() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile());
      if (isFile) found.set(resolve(path), path);
    }
  }
}

/** Validates files (collectFiles) one after the other; throws ValidatorCrash if the engine fails. */
export async function validateFiles(conformance: Conformance, files: readonly string[], run: ValidationRun): Promise<ValidationReport> {
  const results: FileResult[] = [];
  for (const [n, file] of files.entries()) {
    const isNdjson = extname(file).toLowerCase() === '.ndjson';
    results.push(...(isNdjson ? await validateNdjson(conformance, file, run) : [await validateJsonFile(conformance, file, run)]));
    run.onProgress?.(n + 1, files.length);
  }
  const issues = results.flatMap((r) => r.issues);
  return {
    files: results,
    packs: run.packs.map((p) => `${p.pack}@${p.version}`),
    summary: {
      files: files.length,
      resources: results.length,
      errors: issues.filter(isError).length,
      warnings: issues.filter((i) => i.severity === 'warning').length,
    },
  };
}

/** collectFiles then validateFiles: the whole check of a list of paths, without a process. */
export async function validatePaths(conformance: Conformance, paths: readonly string[], run: ValidationRun): Promise<ValidationReport> {
  const { files } = await collectFiles(paths, TEXTS[run.language]);
  return validateFiles(conformance, files, run);
}

async function validateJsonFile(conformance: Conformance, file: string, run: ValidationRun): Promise<FileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return result(file, undefined, [unreadable(err, run.language)]);
  }
  return result(file, undefined, check(conformance, text, file, run));
}

async function validateNdjson(conformance: Conformance, file: string, run: ValidationRun): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() !== '') results.push(result(file, line, check(conformance, text, `${file}:${line}`, run)));
    }
  } catch (err) {
    if (err instanceof ValidatorCrash) throw err;
    results.push(result(file, line || undefined, [unreadable(err, run.language)]));
  }
  return results;
}

/** Parses like the gateway's body parser, then runs the gateway's conformance check. */
function check(conformance: Conformance, text: string, where: string, run: ValidationRun): OperationOutcomeIssue[] {
  let resource: Json;
  try {
    resource = parseJsonBody(text, run.jsonLimits);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return (err.outcome.issue ?? []).map((i) => parserIssue(i, run));
    throw new ValidatorCrash(where, err);
  }
  try {
    return conformance.validate(resource, { language: run.language, packs: run.packs, profiles: run.profiles });
  } catch (err) {
    throw new ValidatorCrash(where, err);
  }
}

/** A body-parser error (same code and location as the gateway's answer), worded for a file in the run's language. */
function parserIssue(i: OperationOutcomeIssue, run: ValidationRun): OperationOutcomeIssue {
  const code = i.details?.coding?.[0]?.code ?? '';
  const detail = /not valid JSON: (.*)$/s.exec(i.details?.text ?? '')?.[1]?.replace(/\s+/g, ' ').trim();
  const text = TEXTS[run.language].jsonIssue(code, run.jsonLimits, detail);
  return text ? { ...i, details: { ...i.details, text }, diagnostics: text } : i;
}

function result(file: string, line: number | undefined, issues: OperationOutcomeIssue[]): FileResult {
  return { file, ...(line !== undefined ? { line } : {}), valid: !issues.some(isError), issues };
}

function unreadable(err: unknown, language: Language): OperationOutcomeIssue {
  return issue({ error: 'body-unreadable', message: TEXTS[language].fileUnreadable(err instanceof Error ? err.message : String(err)) });
}

function isError(i: OperationOutcomeIssue): boolean {
  return i.severity === 'error' || i.severity === 'fatal';
}

/** The rule id of an issue: the validation rule (details.coding[1]), else the gateway error code. */
export function ruleIdOf(i: OperationOutcomeIssue): string {
  const coding = i.details?.coding ?? [];
  return coding[1]?.code ?? coding[0]?.code ?? i.code;
}

/**
 * The pack versions to check against: those in force today for the schedule (the base pack always),
 * then each --pack (pack@version, or a pack alone for its newest version), which replaces the
 * scheduled version of the same pack.
 */
export function resolvePacks(conformance: Conformance, requested: readonly string[], schedule: readonly PackScheduleEntry[] = [], t: Texts = TEXTS.en): PackVersion[] {
  const packs = conformance.packsInForce(schedule);
  for (const wanted of requested) {
    const match = /^([a-z0-9-]+)(?:@(\d+\.\d+\.\d+))?$/.exec(wanted);
    if (!match) throw new UsageError(t.packFormat(wanted));
    const [, pack, version] = match as unknown as [string, string, string | undefined];
    const found = version ? conformance.catalogue.get(pack, version) : conformance.catalogue.latest(pack);
    if (!found) throw new UsageError(t.packUnknown(wanted, conformance.catalogue.versions.map((v) => `${v.pack}@${v.version}`)));
    const same = packs.findIndex((p) => p.pack === pack);
    if (same >= 0) packs.splice(same, 1, found);
    else packs.push(found);
  }
  return packs;
}

/**
 * An insurer's pack schedule (profilePacks): from the participant registry when DATABASE_URL is set,
 * else from the seed file (SEED_FILE, else the demo seed).
 */
export async function insurerSchedule(id: string, config: Pick<Config, 'databaseUrl' | 'dataDir' | 'seedFile'>, t: Texts = TEXTS.en): Promise<readonly PackScheduleEntry[]> {
  const { participant, source } = config.databaseUrl
    ? { participant: await fromRegistry(id, config.databaseUrl, config.dataDir, t), source: t.registrySource() }
    : await fromSeed(id, config.seedFile ?? DEMO_SEED, t);
  if (!participant) throw new UsageError(t.insurerUnknown(id, source));
  if (participant.kind !== 'insurer') throw new UsageError(t.notInsurer(id, participant.kind));
  return participant.profilePacks ?? [];
}

type ParticipantPacks = { readonly kind: string; readonly profilePacks?: readonly PackScheduleEntry[] };

async function fromRegistry(id: string, databaseUrl: string, dataDir: string, t: Texts): Promise<ParticipantPacks | undefined> {
  let db: Database | undefined;
  try {
    db = await openDatabase({ databaseUrl, dataDir });
    return await new ParticipantRegistry(db).get(id);
  } catch (err) {
    throw new UsageError(t.registryUnreadable((err as Error).message), { cause: err });
  } finally {
    await db?.close();
  }
}

async function fromSeed(id: string, path: string, t: Texts): Promise<{ participant: ParticipantPacks | undefined; source: string }> {
  const { readSeedFile } = await import('../participants/seed.js');
  try {
    return { participant: readSeedFile(path).participants.find((p) => p.id === id), source: t.seedSource(path) };
  } catch (err) {
    throw new UsageError(t.registryUnreadable((err as Error).message), { cause: err });
  }
}

// ---- texts ----------------------------------------------------------------------------------------

/** The command's own texts, in English and French. */
export interface Texts {
  readonly severity: Readonly<Record<OperationOutcomeIssue['severity'], string>>;
  summary(s: ValidationReport['summary']): string;
  packsLine(packs: readonly string[]): string;
  noPaths(): string;
  pathNotFound(path: string): string;
  noFiles(): string;
  folderUnreadable(folder: string, detail: string): string;
  badLanguage(value: string): string;
  packFormat(value: string): string;
  packUnknown(value: string, published: readonly string[]): string;
  insurerUnknown(id: string, source: string): string;
  notInsurer(id: string, kind: string): string;
  registrySource(): string;
  seedSource(path: string): string;
  registryUnreadable(detail: string): string;
  scheduleUnknown(insurer: string, version: string): string;
  basePackMissing(pack: string): string;
  crash(file: string | undefined, detail: string): string;
  fileUnreadable(detail: string): string;
  /** The text of a body-parser error (json-malformed, json-too-deep...) about a file; detail: the parser's. */
  jsonIssue(code: string, limits: JsonLimits, detail?: string): string | undefined;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const pluralFr = (n: number, one: string, many: string) => `${n} ${n > 1 ? many : one}`;

const CRASH_NOTE_EN = 'exit 3: a fault of the validator, not of your files; please report it';
const CRASH_NOTE_FR = 'code 3 : une faute du validateur, pas de vos fichiers ; merci de la signaler';

/** The texts by language. */
export const TEXTS: Readonly<Record<Language, Texts>> = {
  en: {
    severity: { fatal: 'fatal', error: 'error', warning: 'warning', information: 'information' },
    summary: (s) => `${plural(s.files, 'file', 'files')}${s.resources !== s.files ? ` (${plural(s.resources, 'resource', 'resources')})` : ''}, `
      + `${plural(s.errors, 'error', 'errors')}, ${plural(s.warnings, 'warning', 'warnings')}`,
    packsLine: (packs) => `Packs: ${packs.join(', ')}`,
    noPaths: () => 'Name at least one file or folder to validate',
    pathNotFound: (path) => `No such file or folder: ${path}`,
    noFiles: () => 'No .json or .ndjson file to validate under the paths given',
    folderUnreadable: (folder, detail) => `Cannot read the folder ${folder}: ${detail}`,
    badLanguage: (value) => `--lang takes en or fr, not "${value}"`,
    packFormat: (value) => `--pack takes pack@version, such as demo-ipm@1.0.0, not "${value}"`,
    packUnknown: (value, published) => `The pack ${value} is not published by this gateway. Published: ${published.join(', ') || 'none'}`,
    insurerUnknown: (id, source) => `No insurer "${id}" in ${source}`,
    notInsurer: (id, kind) => `"${id}" is a ${kind}, not an insurer: only insurers have pack versions`,
    registrySource: () => 'the participant registry (DATABASE_URL)',
    seedSource: (path) => `the seed file ${path} (set DATABASE_URL to read the registry database)`,
    registryUnreadable: (detail) => `Cannot read the participants: ${detail}`,
    scheduleUnknown: (insurer, version) => `warning: ${insurer} names the pack ${version}, which this gateway does not publish; it is not checked`,
    basePackMissing: (pack) => `The base pack ${pack} is not installed (profiles/${pack}/<version>/fsh-generated/resources): the validator cannot check what the gateway checks`,
    crash: (file, detail) => `Internal error of the validator${file ? ` on ${file}` : ''} (${CRASH_NOTE_EN}):\n${detail}`,
    fileUnreadable: (detail) => `The file cannot be read: ${detail}`,
    jsonIssue: (code, limits, detail) => ({
      'json-malformed': `Not valid JSON${detail ? ` (${detail})` : ''}`,
      'json-not-object': 'Must be a JSON object (a FHIR resource)',
      'json-too-deep': `Nested deeper than the gateway accepts (${limits.maxDepth} levels, JSON_MAX_DEPTH)`,
      'json-array-too-long': `An array is longer than the gateway accepts (${limits.maxArrayLength} items, JSON_MAX_ARRAY_LENGTH)`,
      'json-forbidden-key': 'A key the gateway refuses in any body (__proto__, constructor, prototype)',
    } as Record<string, string>)[code],
  },
  fr: {
    severity: { fatal: 'fatal', error: 'erreur', warning: 'avertissement', information: 'information' },
    summary: (s) => `${pluralFr(s.files, 'fichier', 'fichiers')}${s.resources !== s.files ? ` (${pluralFr(s.resources, 'ressource', 'ressources')})` : ''}, `
      + `${pluralFr(s.errors, 'erreur', 'erreurs')}, ${pluralFr(s.warnings, 'avertissement', 'avertissements')}`,
    packsLine: (packs) => `Packs : ${packs.join(', ')}`,
    noPaths: () => 'Indiquez au moins un fichier ou un dossier à valider',
    pathNotFound: (path) => `Fichier ou dossier introuvable : ${path}`,
    noFiles: () => 'Aucun fichier .json ou .ndjson à valider sous les chemins donnés',
    folderUnreadable: (folder, detail) => `Impossible de lire le dossier ${folder} : ${detail}`,
    badLanguage: (value) => `--lang prend en ou fr, pas « ${value} »`,
    packFormat: (value) => `--pack prend pack@version, par exemple demo-ipm@1.0.0, pas « ${value} »`,
    packUnknown: (value, published) => `Le pack ${value} n'est pas publié par cette passerelle. Publiés : ${published.join(', ') || 'aucun'}`,
    insurerUnknown: (id, source) => `Aucun assureur « ${id} » dans ${source}`,
    notInsurer: (id, kind) => `« ${id} » est de type ${kind}, pas un assureur : seuls les assureurs ont des versions de packs`,
    registrySource: () => 'le registre des participants (DATABASE_URL)',
    seedSource: (path) => `le fichier d'amorçage ${path} (définissez DATABASE_URL pour lire la base du registre)`,
    registryUnreadable: (detail) => `Impossible de lire les participants : ${detail}`,
    scheduleUnknown: (insurer, version) => `avertissement : ${insurer} désigne le pack ${version}, que cette passerelle ne publie pas ; il n'est pas vérifié`,
    basePackMissing: (pack) => `Le pack de base ${pack} n'est pas installé (profiles/${pack}/<version>/fsh-generated/resources) : le validateur ne peut pas vérifier ce que vérifie la passerelle`,
    crash: (file, detail) => `Erreur interne du validateur${file ? ` sur ${file}` : ''} (${CRASH_NOTE_FR}) :\n${detail}`,
    fileUnreadable: (detail) => `Le fichier ne peut pas être lu : ${detail}`,
    jsonIssue: (code, limits, detail) => ({
      'json-malformed': `Ce n'est pas du JSON valide${detail ? ` (${detail})` : ''}`,
      'json-not-object': 'Un objet JSON (une ressource FHIR) est attendu',
      'json-too-deep': `Imbriqué plus profondément que la passerelle ne l'accepte (${limits.maxDepth} niveaux, JSON_MAX_DEPTH)`,
      'json-array-too-long': `Un tableau est plus long que la passerelle ne l'accepte (${limits.maxArrayLength} éléments, JSON_MAX_ARRAY_LENGTH)`,
      'json-forbidden-key': 'Une clé que la passerelle refuse dans tout corps de requête (__proto__, constructor, prototype)',
    } as Record<string, string>)[code],
  },
};

/** French when --lang is absent and the locale (LC_ALL, LC_MESSAGES, LANG) is French; English otherwise. */
export function languageFromEnv(env: NodeJS.ProcessEnv): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return locale.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** Commander's own usage errors in French (in English as commander words them). */
export function translateCommanderError(text: string, language: Language): string {
  if (language === 'en') return text;
  return text
    .replace(/^error: unknown option '(.+?)'/, 'erreur : option inconnue « $1 »')
    .replace(/\(Did you mean (.+?)\?\)/, '(vouliez-vous dire $1 ?)')
    .replace(/^error: missing required argument '(.+?)'/, 'erreur : argument obligatoire « $1 » absent')
    .replace(/^error: option '(.+?)' argument missing/, 'erreur : l\'option « $1 » attend une valeur')
    .replace(/^error: /, 'erreur : ');
}

// ---- the command ----------------------------------------------------------------------------------

/** The command's options, as commander gives them. */
export interface ValidateOptions {
  readonly profile?: readonly string[];
  readonly pack?: readonly string[];
  readonly insurer?: string;
  readonly lang?: string;
  readonly json?: boolean;
}

/** Where the command reads its environment and writes. */
export interface Terminal {
  readonly env: NodeJS.ProcessEnv;
  /** Standard output: the report. */
  readonly out: (text: string) => void;
  /** Standard error: usage errors, warnings, crashes. */
  readonly err: (text: string) => void;
  /** Colours in the human report. */
  readonly colour: boolean;
  /** Where a progress bar may be drawn (standard error, when it is a terminal). */
  readonly progress?: NodeJS.WritableStream;
}

/** Runs `passerelle validate` and returns its exit code; never throws. */
export async function runValidate(paths: readonly string[], options: ValidateOptions, terminal: Terminal, load: () => Promise<Conformance> = loadEngine): Promise<number> {
  let t = TEXTS[languageFromEnv(terminal.env)];
  let crashedOn: string | undefined;
  try {
    const language = pickLanguage(options.lang, terminal.env, t);
    t = TEXTS[language];
    if (paths.length === 0) throw new UsageError(t.noPaths());
    const { files, walkedFolder } = await collectFiles(paths, t);
    const jsonLimits = bodyLimits(terminal.env);
    const conformance = await loadConformance(load, t);
    const packs = await packsFor(conformance, options, terminal, t);
    const bar = !options.json && terminal.progress && (walkedFolder || files.length > 1) ? progressBar(terminal.progress, files.length) : undefined;
    let report: ValidationReport;
    try {
      report = await validateFiles(conformance, files, { language, packs, profiles: options.profile, jsonLimits, onProgress: (done) => bar?.update(done) });
    } finally {
      bar?.stop();
    }
    terminal.out(options.json ? JSON.stringify(report, null, 2) : formatReport(report, t, terminal.colour));
    return report.files.every((f) => f.valid) ? EXIT.valid : EXIT.invalid;
  } catch (err) {
    if (err instanceof UsageError) {
      terminal.err(err.message);
      return EXIT.usage;
    }
    if (err instanceof ValidatorCrash) crashedOn = err.file;
    const cause = err instanceof ValidatorCrash ? err.cause : err;
    terminal.err(t.crash(crashedOn, cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)));
    return EXIT.internal;
  }
}

/** The engine is imported when the command runs, so the CLI's other commands start without it. */
async function loadEngine(): Promise<Conformance> {
  const { Conformance } = await import('./conformance.js');
  return Conformance.load();
}

/** The language of a command: --lang (en or fr, else a UsageError in t's language), else the locale. The other commands choose the same way. */
export function pickLanguage(lang: string | undefined, env: NodeJS.ProcessEnv, t: Texts): Language {
  if (lang === undefined) return languageFromEnv(env);
  if (lang === 'en' || lang === 'fr') return lang;
  throw new UsageError(t.badLanguage(lang));
}

/** The gateway's JSON limits, from the same variables (defaults when unset). */
function bodyLimits(env: NodeJS.ProcessEnv): JsonLimits {
  const picked = Object.fromEntries(['JSON_MAX_DEPTH', 'JSON_MAX_ARRAY_LENGTH'].filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
  const config = configFrom(picked);
  return { maxDepth: config.jsonMaxDepth, maxArrayLength: config.jsonMaxArrayLength };
}

function configFrom(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/** The engine with the packs; without the base pack it could not check what the gateway checks. */
async function loadConformance(load: () => Promise<Conformance>, t: Texts): Promise<Conformance> {
  const conformance = await load();
  if (!conformance.catalogue.latest(BASE_PACK)) throw new Error(t.basePackMissing(BASE_PACK));
  return conformance;
}

async function packsFor(conformance: Conformance, options: ValidateOptions, terminal: Terminal, t: Texts): Promise<PackVersion[]> {
  const schedule = options.insurer ? await insurerSchedule(options.insurer, configFrom(terminal.env), t) : [];
  for (const missing of conformance.catalogue.unknownEntries(schedule)) {
    terminal.err(t.scheduleUnknown(options.insurer ?? '', `${missing.pack}@${missing.version}`));
  }
  return resolvePacks(conformance, options.pack ?? [], schedule, t);
}

function progressBar(stream: NodeJS.WritableStream, total: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar({ stream, clearOnComplete: true, hideCursor: true, format: '{bar} {value}/{total}' }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

// ---- the human report ------------------------------------------------------------------------------

const ANSI = { red: 31, yellow: 33, cyan: 36, green: 32, dim: 2, bold: 1 } as const;

/** The report for a reader: each file with issues, one line per issue, then the packs and the counts. */
export function formatReport(report: ValidationReport, t: Texts, colour = false): string {
  const paint = (style: keyof typeof ANSI, text: string) => (colour ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
  const severityStyle = { fatal: 'red', error: 'red', warning: 'yellow', information: 'cyan' } as const;
  const width = Math.max(...Object.values(t.severity).map((s) => s.length));
  const lines: string[] = [];
  for (const f of report.files.filter((r) => r.issues.length > 0)) {
    lines.push(paint('bold', f.line !== undefined ? `${f.file}:${f.line}` : f.file));
    for (const i of f.issues) {
      const severity = paint(severityStyle[i.severity], t.severity[i.severity].padEnd(width));
      lines.push(`  ${severity}  ${ruleIdOf(i)}  ${paint('dim', i.expression?.[0] ?? '-')}  ${(i.details?.text ?? i.diagnostics ?? '').replace(/\s*\n\s*/g, ' ')}`);
    }
  }
  if (lines.length > 0) lines.push('');
  lines.push(t.packsLine(report.packs));
  lines.push(paint(report.summary.errors > 0 ? 'red' : 'green', t.summary(report.summary)));
  return lines.join('\n');
}

// ---- registration ----------------------------------------------------------------------------------

const HELP = `
Packs: the base pack (${BASE_PACK}) always; --insurer adds that insurer's pack versions in force today
(participant registry when DATABASE_URL is set, else SEED_FILE, else the demo seed); --pack adds or
replaces a pack version. Messages in English or French: --lang, else LANG/LC_ALL.

Exit codes:
  0  no file has an error (warnings allowed)
  1  at least one file has an error (including a file that is not JSON)
  2  the command could not run as asked: unknown option, no path, path not found, unknown pack,
     unknown insurer, bad --lang, registry unreadable
  3  internal error of the validator (a fault of Passerelle, not of your files; please report it)

Examples:
  passerelle validate claim.json
  passerelle validate exports/ --insurer demo-insurer --json > report.json
  passerelle validate claims.ndjson --pack demo-ipm@2.0.0 --lang fr`;

/** Adds the validate command to the program. */
export function addValidateCommand(program: Command): void {
  const language = languageFromEnv(process.env);
  const collect = (value: string, previous: string[]) => [...previous, value];
  program.command('validate')
    .description('validate FHIR JSON files (.json, .ndjson) or folders offline, with the engine and packs of the gateway')
    .argument('<paths...>', 'files or folders (folders: every .json and .ndjson file inside, recursively)')
    .option('--profile <url>', 'a profile the root resource of each file must meet (repeatable)', collect, [])
    .option('--insurer <id>', "check against this insurer's pack versions in force")
    .option('--pack <pack@version>', 'check against this pack version too (repeatable)', collect, [])
    .option('--lang <en|fr>', 'language of the messages')
    .option('--json', 'print one JSON document: { files, packs, summary }')
    .addHelpText('after', HELP)
    .configureOutput({ outputError: (text, write) => write(translateCommanderError(text, language)) })
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage))
    .action(async (paths: string[], options: ValidateOptions) => {
      process.exitCode = await runValidate(paths, options, {
        env: process.env,
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
        colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
        progress: process.stderr.isTTY ? process.stderr : undefined,
      });
    });
}
