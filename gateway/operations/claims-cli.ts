/**
 * `passerelle submit` and `passerelle status`: a provider's claims from a terminal. submit posts claim
 * bundles to POST /fhir/Claim/$submit with an Idempotency-Key derived from each file's content (a re-run
 * is a replay: the gateway gives its first answer again) and, with --wait, follows each claim to a final
 * status; status asks for a claim's status and latest answer with a status Task. Exit codes: EXIT in
 * gateway-client.ts (docs/cli.md). Nothing of the patient is printed unless --json asks for the answers.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { ClaimResponse } from '@medplum/fhirtypes';
import type { Language } from '../validation/rules.js';
import { TEXTS as VALIDATE_TEXTS, UsageError, collectFiles } from '../validation/validate-cli.js';
import { FINAL_STATUSES, NEGATIVE_STATUSES, answerSummary, claimProgress, waitForFinal, type ClaimProgress } from './claim-answers.js';
import { EXIT, GatewayRefusal, gatewayCall, type GatewayConnection, type OutcomeIssue } from './gateway-client.js';
import { TEXTS as SHARED, helpLanguage, issueLines, languageOption, processTerminal, runGatewayCommand, setUpGatewayCommand, type Terminal } from './gateway-command.js';

/** Options of `submit`, as commander gives them. */
export interface SubmitOptions {
  readonly idempotencyKey?: string;
  readonly wait?: boolean;
  /** --wait: seconds. */
  readonly timeout?: string;
  readonly json?: boolean;
  readonly lang?: string;
}

/** Options of `status`, as commander gives them. */
export interface StatusOptions {
  readonly wait?: boolean;
  readonly timeout?: string;
  readonly json?: boolean;
  readonly lang?: string;
}

/** A file to submit, read. */
interface Submission {
  readonly name: string;
  readonly content: Buffer;
  readonly idempotencyKey: string;
}

/** What the gateway answered to one file. */
interface SubmissionResult {
  readonly file: string;
  readonly idempotencyKey: string;
  readonly status: number;
  readonly replayed: boolean;
  readonly claimId?: string;
  readonly location?: string;
  /** The queued ClaimResponse, or the OperationOutcome of a refusal. */
  readonly answer: Record<string, unknown>;
  /** --wait: the claim at the end of the wait. */
  final?: ClaimProgress;
}

const DEFAULT_WAIT_SECONDS = 120;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/**
 * The Idempotency-Key of a file when none is given: its content's SHA-256, so submitting the same file
 * again is a replay. The language is part of it, since the gateway replays its first answer word for word.
 */
export function contentKey(content: Buffer | string, language: Language): string {
  return `passerelle-cli-${language}-sha256-${createHash('sha256').update(content).digest('hex')}`;
}

/** Runs `passerelle submit` and returns its exit code; never throws. */
export async function runSubmit(paths: readonly string[], options: SubmitOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language, connection }) => {
    const t = TEXTS[language];
    const timeoutMs = waitSeconds(options.timeout, t) * 1000;
    const submissions = await readSubmissions(paths, options, terminal, language);
    const conn = connection('participant');
    const results = await submitAll(conn, submissions, options.json ? undefined : terminal.progress);
    const waited = options.wait ? await waitAll(conn, results, timeoutMs, options.json ? undefined : terminal.progress, t) : undefined;
    if (options.json) {
      const documents = results.map(jsonDocument);
      terminal.out(JSON.stringify(documents.length === 1 && paths.length === 1 && submissions[0]!.name === paths[0] ? documents[0] : documents, null, 2));
    } else {
      terminal.out(results.length === 1 ? singleReport(results[0]!, language) : manyReport(results, language));
    }
    if (results.some((r) => !r.claimId || NEGATIVE_STATUSES.has(r.final?.status ?? ''))) return EXIT.refused;
    if (waited && [...waited.values()].some((s) => !FINAL_STATUSES.has(s))) {
      terminal.err(t.waitTimedOut(Math.round(timeoutMs / 1000)));
      return EXIT.unreachable;
    }
    return EXIT.ok;
  });
}

/** Runs `passerelle status` and returns its exit code; never throws. */
export async function runStatus(claimId: string, options: StatusOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language, connection }) => {
    const t = TEXTS[language];
    const timeoutMs = waitSeconds(options.timeout, t) * 1000;
    const conn = connection('participant');
    let progress = await claimProgress(conn, claimId);
    if (options.wait && !FINAL_STATUSES.has(progress.status)) {
      const statuses = await waitWithSpinner(conn, [claimId], timeoutMs, options.json ? undefined : terminal.progress, t);
      if (FINAL_STATUSES.has(statuses.get(claimId)!)) progress = await claimProgress(conn, claimId);
    }
    terminal.out(options.json ? JSON.stringify({ task: progress.task, claimResponse: progress.response ?? null }, null, 2) : progressLines(progress, language).join('\n'));
    if (NEGATIVE_STATUSES.has(progress.status)) return EXIT.refused;
    if (options.wait && !FINAL_STATUSES.has(progress.status)) {
      terminal.err(t.waitTimedOut(Math.round(timeoutMs / 1000)));
      return EXIT.unreachable;
    }
    return EXIT.ok;
  });
}

function waitSeconds(value: string | undefined, t: Texts): number {
  if (value === undefined) return DEFAULT_WAIT_SECONDS;
  const seconds = Number(value);
  if (!/^\d+$/.test(value.trim()) || seconds < 1 || seconds > 86_400) throw new UsageError(t.badTimeout(value));
  return seconds;
}

/** The files (or standard input) to submit, all read before anything is sent: an unreadable one stops the run (exit 2). */
async function readSubmissions(paths: readonly string[], options: SubmitOptions, terminal: Terminal, language: Language): Promise<Submission[]> {
  const t = TEXTS[language];
  if (paths.length === 0) throw new UsageError(t.noPaths());
  if (paths.includes('-') && paths.length > 1) throw new UsageError(t.stdinAlone());
  if (options.idempotencyKey !== undefined && !KEY_FORMAT.test(options.idempotencyKey)) throw new UsageError(t.badKey(options.idempotencyKey));
  let names: string[];
  if (paths[0] === '-') {
    names = ['-'];
  } else {
    const { files } = await collectFiles(paths, VALIDATE_TEXTS[language]);
    names = files.filter((f) => extname(f).toLowerCase() !== '.ndjson');
    for (const skipped of files.filter((f) => !names.includes(f))) terminal.err(t.ndjsonSkipped(skipped));
    if (names.length === 0) throw new UsageError(t.noJsonFiles());
  }
  if (options.idempotencyKey !== undefined && names.length > 1) throw new UsageError(t.keyWithMany());
  return Promise.all(names.map(async (name) => {
    const content = await (name === '-' ? readStream(terminal.stdin ?? process.stdin) : readFile(name)).catch((err: Error) => {
      throw new UsageError(t.unreadable(name === '-' ? t.stdinName() : name, err.message), { cause: err });
    });
    if (content.length === 0) throw new UsageError(t.empty(name === '-' ? t.stdinName() : name));
    return { name, content, idempotencyKey: options.idempotencyKey ?? contentKey(content, language) };
  }));
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Posts each file in turn; a refusal is a result of its file, any other failure stops the run. */
async function submitAll(conn: GatewayConnection, submissions: readonly Submission[], progress: NodeJS.WriteStream | undefined): Promise<SubmissionResult[]> {
  const bar = progress && submissions.length > 1 ? progressBar(progress, submissions.length) : undefined;
  const results: SubmissionResult[] = [];
  try {
    for (const submission of submissions) {
      results.push(await submitOne(conn, submission));
      bar?.increment();
    }
  } finally {
    bar?.stop();
  }
  return results;
}

async function submitOne(conn: GatewayConnection, submission: Submission): Promise<SubmissionResult> {
  const base = { file: submission.name, idempotencyKey: submission.idempotencyKey };
  try {
    const answer = await gatewayCall(conn, 'POST', '/fhir/Claim/$submit', {
      body: submission.content, contentType: 'application/fhir+json', headers: { 'Idempotency-Key': submission.idempotencyKey },
    });
    const location = answer.headers.get('location') ?? undefined;
    const claimId = location?.split('/Claim/')[1] ?? (answer.body as { request?: { reference?: string } }).request?.reference?.split('Claim/')[1];
    return { ...base, status: answer.status, replayed: answer.headers.get('idempotent-replayed') === 'true', claimId, location, answer: answer.body };
  } catch (err) {
    if (!(err instanceof GatewayRefusal)) throw err;
    return { ...base, status: err.status, replayed: err.headers.get('idempotent-replayed') === 'true', answer: err.body };
  }
}

/** --wait: follows the accepted claims to a final status, then reads each one's latest answer. */
async function waitAll(conn: GatewayConnection, results: SubmissionResult[], timeoutMs: number, progress: NodeJS.WriteStream | undefined, t: Texts): Promise<Map<string, string>> {
  const accepted = results.filter((r) => r.claimId);
  const statuses = await waitWithSpinner(conn, accepted.map((r) => r.claimId!), timeoutMs, progress, t);
  for (const result of accepted) {
    result.final = FINAL_STATUSES.has(statuses.get(result.claimId!)!) ? await claimProgress(conn, result.claimId!) : undefined;
  }
  return statuses;
}

/** Waits with a spinner for one claim, a bar (claims with a final status) for several; nothing drawn without a terminal. */
async function waitWithSpinner(conn: GatewayConnection, claimIds: readonly string[], timeoutMs: number, progress: NodeJS.WriteStream | undefined, t: Texts): Promise<Map<string, string>> {
  if (claimIds.length === 0) return new Map();
  const bar = progress && claimIds.length > 1 ? progressBar(progress, claimIds.length, t.waitingBar()) : undefined;
  const spinner = progress && !bar ? new Spinner(progress, (status, seconds) => t.waiting(claimIds[0]!, status, seconds)) : undefined;
  try {
    return await waitForFinal(conn, claimIds, {
      timeoutMs,
      onRound: (statuses) => {
        bar?.update([...statuses.values()].filter((s) => FINAL_STATUSES.has(s)).length);
        spinner?.show(statuses.get(claimIds[0]!)!);
      },
    });
  } finally {
    bar?.stop();
    spinner?.stop();
  }
}

/** One line redrawn ten times a second: a turning frame, the claim's last status and the seconds waited. */
class Spinner {
  private static readonly FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  private frame = 0;
  private status = '…';

  constructor(private readonly stream: NodeJS.WriteStream, private readonly text: (status: string, seconds: number) => string) {
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  show(status: string): void {
    this.status = status;
    this.draw();
  }

  stop(): void {
    clearInterval(this.timer);
    this.stream.write('\r\u001b[K');
  }

  private draw(): void {
    const frame = Spinner.FRAMES[this.frame++ % Spinner.FRAMES.length]!;
    this.stream.write(`\r\u001b[K${frame} ${this.text(this.status, Math.round((Date.now() - this.started) / 1000))}`);
  }
}

function progressBar(stream: NodeJS.WriteStream, total: number, label = ''): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar({ stream, clearOnComplete: true, hideCursor: true, format: `${label}{bar} {value}/{total}` }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

// ---- what is printed ------------------------------------------------------------------------------

function jsonDocument(r: SubmissionResult): Record<string, unknown> {
  return {
    file: r.file, idempotencyKey: r.idempotencyKey, status: r.status, replayed: r.replayed, claimId: r.claimId ?? null, location: r.location ?? null, answer: r.answer,
    ...(r.final ? { final: { status: r.final.status, task: r.final.task, claimResponse: r.final.response ?? null } } : {}),
  };
}

/** One file: the claim, its queued answer and Location, then its final answer; or the refusal with every issue. */
function singleReport(r: SubmissionResult, language: Language): string {
  const t = TEXTS[language];
  if (!r.claimId) {
    return [SHARED[language].refused(r.status), ...issueLines((r.answer.issue ?? []) as OutcomeIssue[], language), ...(r.replayed ? [t.replayedRefusal] : [])].join('\n');
  }
  const lines = [
    `${t.claim}${r.claimId}${r.replayed ? `  ${t.replayed}` : ''}`,
    `${t.answer}${answerSummary(r.answer as unknown as ClaimResponse, language)}`,
    `${t.location}${r.location ?? '-'}`,
    ...issueLines(warningsOf(r.answer), language),
  ];
  if (r.final) lines.push(...progressLines(r.final, language).slice(1));
  return lines.join('\n');
}

/** Several files: one line each (refusals with their issues below), then the counts. */
function manyReport(results: readonly SubmissionResult[], language: Language): string {
  const t = TEXTS[language];
  const lines: string[] = [];
  for (const r of results) {
    if (!r.claimId) {
      lines.push(`${r.file}  ${t.refusedShort(r.status)}${r.replayed ? ` ${t.replayedShort}` : ''}`, ...issueLines((r.answer.issue ?? []) as OutcomeIssue[], language, '    '));
      continue;
    }
    const status = r.final?.status ?? (r.answer as { outcome?: string }).outcome ?? '?';
    const answer = r.final?.response ? `  ${answerSummary(r.final.response, language)}` : '';
    lines.push(`${r.file}  ${r.claimId}  ${status}${r.replayed ? ` ${t.replayedShort}` : ''}${answer}`);
  }
  const finals = new Map<string, number>();
  for (const r of results) if (r.final) finals.set(r.final.status, (finals.get(r.final.status) ?? 0) + 1);
  lines.push(t.summary(results.length, results.filter((r) => r.claimId).length, results.filter((r) => !r.claimId).length, [...finals.entries()]));
  return lines.join('\n');
}

/** The lines of a claim's status: claim, status, latest answer. */
function progressLines(p: ClaimProgress, language: Language): string[] {
  const t = TEXTS[language];
  return [
    `${t.claim}${p.claimId}`,
    `${t.status}${p.status}`,
    ...(p.response ? [`${t.latest}${answerSummary(p.response, language)}${p.response.id ? ` (ClaimResponse/${p.response.id})` : ''}`] : []),
  ];
}

/** The validation warnings a queued answer carries (a contained OperationOutcome). */
function warningsOf(answer: Record<string, unknown>): OutcomeIssue[] {
  const contained = Array.isArray(answer.contained) ? (answer.contained as Array<{ resourceType?: string; issue?: OutcomeIssue[] }>) : [];
  return contained.filter((r) => r.resourceType === 'OperationOutcome').flatMap((r) => r.issue ?? []);
}

// ---- texts ----------------------------------------------------------------------------------------

interface Texts {
  readonly claim: string;
  readonly answer: string;
  readonly location: string;
  readonly status: string;
  readonly latest: string;
  readonly replayed: string;
  readonly replayedRefusal: string;
  readonly replayedShort: string;
  refusedShort(status: number): string;
  summary(files: number, accepted: number, refused: number, finals: ReadonlyArray<[string, number]>): string;
  waiting(claimId: string, status: string, seconds: number): string;
  waitingBar(): string;
  waitTimedOut(seconds: number): string;
  badTimeout(value: string): string;
  noPaths(): string;
  stdinAlone(): string;
  stdinName(): string;
  badKey(value: string): string;
  keyWithMany(): string;
  ndjsonSkipped(file: string): string;
  noJsonFiles(): string;
  unreadable(file: string, detail: string): string;
  empty(file: string): string;
  readonly help: {
    readonly submit: string; readonly files: string; readonly wait: string; readonly timeout: string; readonly key: string; readonly submitNote: string;
    readonly status: string; readonly claimId: string; readonly statusWait: string;
  };
}

const TEXTS: Readonly<Record<Language, Texts>> = {
  en: {
    claim: 'claim      ',
    answer: 'answer     ',
    location: 'location   ',
    status: 'status     ',
    latest: 'latest     ',
    replayed: '(replayed: the gateway already had this submission)',
    replayedShort: '(replayed)',
    replayedRefusal: `This is the gateway's answer to an earlier submission of the same file (replayed). If what it refused was
fixed outside the file (a registration, a roster), submit again with a new --idempotency-key.`,
    refusedShort: (status) => `refused (HTTP ${status})`,
    summary: (files, accepted, refused, finals) => `${files} files: ${accepted} accepted, ${refused} refused`
      + (finals.length > 0 ? `; final: ${finals.map(([s, n]) => `${n} ${s}`).join(', ')}` : ''),
    waiting: (claimId, status, seconds) => `claim ${claimId}: ${status} (${seconds} s)`,
    waitingBar: () => 'final answers ',
    waitTimedOut: (seconds) => `No final status after ${seconds} s: the claim is still in process. Follow it with passerelle status <claim> (a re-run of submit is a replay).`,
    badTimeout: (value) => `--timeout takes a number of seconds from 1 to 86400, not "${value}"`,
    noPaths: () => 'Name at least one claim bundle file, folder, or - for standard input',
    stdinAlone: () => '- (standard input) cannot be mixed with files',
    stdinName: () => 'standard input',
    badKey: (value) => `--idempotency-key takes 1 to 255 visible ASCII characters, not "${value}"`,
    keyWithMany: () => '--idempotency-key names one submission: give it with a single file',
    ndjsonSkipped: (file) => `skipped ${file}: submit takes one Bundle per .json file`,
    noJsonFiles: () => 'No .json file to submit under the paths given',
    unreadable: (file, detail) => `Cannot read ${file}: ${detail}`,
    empty: (file) => `${file} is empty`,
    help: {
      submit: 'submit claim bundles (POST /fhir/Claim/$submit) as a provider; --wait follows each claim to its final answer',
      files: 'claim bundle files (.json), folders (every .json inside), or - for standard input',
      wait: 'wait for a final status (complete, partial, error, failed, cancelled) and print the answer',
      timeout: `with --wait: give up after this many seconds (default ${DEFAULT_WAIT_SECONDS})`,
      key: 'the Idempotency-Key (one file only; default: from the SHA-256 of the file, so a re-run is a replay)',
      submitNote: `Each file is one claim Bundle (collection, Claim first), sent as is. Its Idempotency-Key is derived from its
content's SHA-256 (and --lang) unless --idempotency-key is given: submitting the same file again gives the
gateway's first answer, marked "replayed". A refused file prints every issue of the gateway's OperationOutcome
(exit 1).`,
      status: "a claim's processing status and its latest answer (a status Task; the gateway asks the insurer of a pended claim)",
      claimId: 'the claim id (the end of the Location that submit printed)',
      statusWait: 'wait until the status is final (complete, partial, error, failed, cancelled)',
    },
  },
  fr: {
    claim: 'demande    ',
    answer: 'réponse    ',
    location: 'adresse    ',
    status: 'statut     ',
    latest: 'dernière   ',
    replayed: '(rejouée : la passerelle avait déjà cette soumission)',
    replayedShort: '(rejouée)',
    replayedRefusal: `C'est la réponse de la passerelle à une soumission antérieure du même fichier (rejouée). Si ce qu'elle a
refusé a été corrigé hors du fichier (un enregistrement, un fichier d'adhérents), soumettez de nouveau avec une nouvelle --idempotency-key.`,
    refusedShort: (status) => `refusée (HTTP ${status})`,
    summary: (files, accepted, refused, finals) => `${files} fichiers : ${accepted} acceptés, ${refused} refusés`
      + (finals.length > 0 ? ` ; statut final : ${finals.map(([s, n]) => `${n} ${s}`).join(', ')}` : ''),
    waiting: (claimId, status, seconds) => `demande ${claimId} : ${status} (${seconds} s)`,
    waitingBar: () => 'réponses finales ',
    waitTimedOut: (seconds) => `Pas de statut final après ${seconds} s : la demande est toujours en cours. Suivez-la avec passerelle status <demande> (relancer submit rejoue la soumission).`,
    badTimeout: (value) => `--timeout prend un nombre de secondes de 1 à 86400, pas « ${value} »`,
    noPaths: () => 'Indiquez au moins un fichier de bundle de demande, un dossier, ou - pour l’entrée standard',
    stdinAlone: () => '- (l’entrée standard) ne peut pas être mêlé à des fichiers',
    stdinName: () => 'l’entrée standard',
    badKey: (value) => `--idempotency-key prend de 1 à 255 caractères ASCII visibles, pas « ${value} »`,
    keyWithMany: () => '--idempotency-key désigne une seule soumission : donnez-la avec un seul fichier',
    ndjsonSkipped: (file) => `${file} ignoré : submit prend un Bundle par fichier .json`,
    noJsonFiles: () => 'Aucun fichier .json à soumettre sous les chemins donnés',
    unreadable: (file, detail) => `Impossible de lire ${file} : ${detail}`,
    empty: (file) => `${file} est vide`,
    help: {
      submit: 'soumettre des bundles de demande de remboursement (POST /fhir/Claim/$submit) comme prestataire ; --wait suit chaque demande jusqu’à sa réponse finale',
      files: 'fichiers de bundle (.json), dossiers (tous les .json dedans), ou - pour l’entrée standard',
      wait: 'attendre un statut final (complete, partial, error, failed, cancelled) et afficher la réponse',
      timeout: `avec --wait : abandonner après ce nombre de secondes (par défaut ${DEFAULT_WAIT_SECONDS})`,
      key: 'la clé Idempotency-Key (un seul fichier ; par défaut tirée du SHA-256 du fichier : relancer rejoue la soumission)',
      submitNote: `Chaque fichier est un Bundle de demande (collection, Claim en premier), envoyé tel quel. Sa clé Idempotency-Key
est tirée du SHA-256 de son contenu (et de --lang) sauf --idempotency-key : soumettre de nouveau le même fichier
donne la première réponse de la passerelle, marquée « rejouée ». Un fichier refusé affiche chaque problème de
l'OperationOutcome (code 1).`,
      status: 'le statut de traitement d’une demande et sa dernière réponse (une Task status ; la passerelle interroge l’assureur d’une demande en attente)',
      claimId: 'l’identifiant de la demande (la fin de l’adresse affichée par submit)',
      statusWait: 'attendre un statut final (complete, partial, error, failed, cancelled)',
    },
  },
};

// ---- registration ----------------------------------------------------------------------------------

/** Adds submit and status to the program. */
export function addClaimCommands(program: Command): void {
  const language = helpLanguage();
  const t = TEXTS[language];
  const shared = SHARED[language];
  const submit = program.command('submit')
    .description(t.help.submit)
    .argument('<files...>', t.help.files)
    .option('--wait', t.help.wait)
    .option('--timeout <seconds>', t.help.timeout)
    .option('--idempotency-key <key>', t.help.key)
    .option('--json', shared.jsonOption)
    .option(...languageOption(language))
    .action(async (paths: string[], options: SubmitOptions) => {
      process.exitCode = await runSubmit(paths, options, processTerminal());
    });
  setUpGatewayCommand(submit, language, {
    role: 'participant', note: t.help.submitNote,
    examples: [
      'export PASSERELLE_CLIENT_ID=demo-clinic PASSERELLE_CLIENT_SECRET=demo-clinic-secret',
      'sed "s/TODAY/$(date +%F)/g" test/fixtures/claim-bundle-covered-member.json > claim.json',
      'passerelle submit claim.json --wait',
      'passerelle submit exports/ --wait --timeout 300',
      'passerelle submit - --json < claim.json',
    ],
  });

  const status = program.command('status')
    .description(t.help.status)
    .argument('<claimId>', t.help.claimId)
    .option('--wait', t.help.statusWait)
    .option('--timeout <seconds>', t.help.timeout)
    .option('--json', shared.jsonOption)
    .option(...languageOption(language))
    .action(async (claimId: string, options: StatusOptions) => {
      process.exitCode = await runStatus(claimId, options, processTerminal());
    });
  setUpGatewayCommand(status, language, {
    role: 'participant',
    examples: ['passerelle status 0f8c3c1e-5d1a-4c2b-9a57-2f0d1e3c4b01', 'passerelle status 0f8c3c1e-5d1a-4c2b-9a57-2f0d1e3c4b01 --wait --lang fr'],
  });
}
