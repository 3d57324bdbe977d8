/**
 * What every `passerelle` command that calls the gateway shares: where it reads and writes (Terminal),
 * its language (--lang, else the locale: the choice `passerelle validate` makes), the runner that turns
 * each failure into a message in that language and its exit code (gateway-client.ts EXIT), and the
 * commander set-up (help in that language with the exit codes and examples, usage errors exit 2).
 */
import type { Command } from 'commander';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Language } from '../validation/rules.js';
import { TEXTS as VALIDATE_TEXTS, UsageError, languageFromEnv, pickLanguage, ruleIdOf, translateCommanderError } from '../validation/validate-cli.js';
import {
  AuthenticationError, ConnectionSettingsError, EXIT, GatewayFailure, GatewayRefusal, GatewayUnreachable, connectionFromEnv, exitCodeOf,
  type ClientRole, type GatewayConnection, type OutcomeIssue,
} from './gateway-client.js';

/** Where a command reads its environment and input, and writes. */
export interface Terminal {
  readonly env: NodeJS.ProcessEnv;
  /** Standard output: the results. */
  readonly out: (text: string) => void;
  /** Standard error: errors and notes. */
  readonly err: (text: string) => void;
  /** Where progress bars and spinners may be drawn (standard error, when it is a terminal). */
  readonly progress?: NodeJS.WriteStream;
  /** What "-" reads. */
  readonly stdin?: NodeJS.ReadableStream;
}

/** The process's own terminal. */
export function processTerminal(): Terminal {
  return {
    env: process.env,
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    progress: process.stderr.isTTY ? process.stderr : undefined,
    stdin: process.stdin,
  };
}

/** What a running command is given. */
export interface CommandContext {
  readonly language: Language;
  /** The connection from the environment, in the command's language; throws when settings are missing. */
  connection(role: ClientRole): GatewayConnection;
}

/**
 * Runs a command: picks the language (--lang, else LC_ALL/LC_MESSAGES/LANG), runs it, and turns what it
 * throws into a message on standard error and its exit code. Never throws.
 */
export async function runGatewayCommand(lang: string | undefined, terminal: Terminal, run: (context: CommandContext) => Promise<number>): Promise<number> {
  let language = languageFromEnv(terminal.env);
  try {
    language = pickLanguage(lang, terminal.env, VALIDATE_TEXTS[language]);
    return await run({ language, connection: (role) => ({ ...connectionFromEnv(terminal.env, role), language }) });
  } catch (err) {
    terminal.err(describeFailure(err, language));
    return exitCodeOf(err);
  }
}

/** The message for a failure of a command, in the language. */
export function describeFailure(err: unknown, language: Language): string {
  const t = TEXTS[language];
  if (err instanceof UsageError) return err.message;
  if (err instanceof ConnectionSettingsError) return err.problem === 'credentials' ? t.credentialsMissing(err.role) : t.urlInvalid(err.value ?? '');
  if (err instanceof AuthenticationError) return t.authenticationFailed(err.description ?? `HTTP ${err.status}`);
  if (err instanceof GatewayUnreachable) return t.unreachable(err.url, err.detail);
  if (err instanceof GatewayFailure) return t.failure(err.url, err.status, err.detail);
  if (err instanceof GatewayRefusal) return [t.refused(err.status), ...issueLines(err.issues, language)].join('\n');
  return t.unexpected(err instanceof Error ? err.message : String(err));
}

/** One line per issue: severity, rule id or error code, FHIRPath, message (the layout of `passerelle validate`). */
export function issueLines(issues: readonly OutcomeIssue[], language: Language, indent = '  '): string[] {
  const severity = (i: OutcomeIssue) => VALIDATE_TEXTS[language].severity[i.severity] ?? i.severity;
  const width = Math.max(0, ...issues.map((i) => severity(i).length));
  return issues.map((i) => `${indent}${severity(i).padEnd(width)}  ${ruleIdOf(i as OperationOutcomeIssue)}  ${i.expression?.[0] ?? '-'}  `
    + `${(i.details?.text ?? i.diagnostics ?? '').replace(/\s*\n\s*/g, ' ')}`);
}

/** The language the help is written in: --lang on the command line when it names one, else the locale. */
export function helpLanguage(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): Language {
  for (const [n, arg] of argv.entries()) {
    const value = arg === '--lang' ? argv[n + 1] : arg.startsWith('--lang=') ? arg.slice('--lang='.length) : undefined;
    if (value === 'en' || value === 'fr') return value;
  }
  return languageFromEnv(env);
}

/** What the help of a command adds after the options. */
export interface CommandHelp {
  /** Whose credentials it needs (none: it does not call the gateway). */
  readonly role?: ClientRole;
  readonly examples: readonly string[];
  /** A paragraph of its own, before the exit codes. */
  readonly note?: string;
  /** Its own exit codes section (title included), for a command whose codes are not those above (passerelle registry, keys). */
  readonly exitCodes?: string;
}

/**
 * Sets up a command the gateway way: help in the language (titles, help option, connection, exit
 * codes, examples), commander's errors translated, and usage errors exiting 2.
 */
export function setUpGatewayCommand(command: Command, language: Language, help: CommandHelp): Command {
  const t = TEXTS[language];
  const sections = [help.note, help.role ? t.connectionHelp(help.role) : undefined, help.exitCodes ?? t.exitCodes, `${t.examplesTitle}\n${help.examples.map((e) => `  ${e}`).join('\n')}`];
  return command
    .helpOption('-h, --help', t.helpOption)
    .configureHelp({ styleTitle: (title) => t.titles[title] ?? title })
    .configureOutput({ outputError: (text, write) => write(translateCommanderError(text, language)) })
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
    .addHelpText('after', `\n${sections.filter(Boolean).join('\n\n')}`);
}

/** The options every gateway command has, worded in the language. */
export function languageOption(language: Language): [string, string] {
  return ['--lang <en|fr>', TEXTS[language].langOption];
}

// ---- texts ----------------------------------------------------------------------------------------

interface SharedTexts {
  credentialsMissing(role: ClientRole): string;
  urlInvalid(value: string): string;
  authenticationFailed(detail: string): string;
  unreachable(url: string, detail: string): string;
  failure(url: string, status: number, detail?: string): string;
  refused(status: number): string;
  unexpected(detail: string): string;
  readonly titles: Readonly<Record<string, string>>;
  readonly helpOption: string;
  readonly langOption: string;
  readonly jsonOption: string;
  connectionHelp(role: ClientRole): string;
  readonly exitCodes: string;
  readonly examplesTitle: string;
}

const DEMO = { operator: ['demo-operator', 'demo-operator-secret'], participant: ['demo-clinic', 'demo-clinic-secret'] } as const;

/** The texts every gateway command shares. */
export const TEXTS: Readonly<Record<Language, SharedTexts>> = {
  en: {
    credentialsMissing: (role) => `Set PASSERELLE_CLIENT_ID and PASSERELLE_CLIENT_SECRET to ${role === 'operator' ? 'an operator' : 'a participant'} client (demo: ${DEMO[role].join(' / ')})`,
    urlInvalid: (value) => `PASSERELLE_URL must be an http:// or https:// URL, not "${value}"`,
    authenticationFailed: (detail) => `The gateway refused the client credentials (PASSERELLE_CLIENT_ID/SECRET): ${detail}`,
    unreachable: (url, detail) => `The gateway does not answer at ${url} (${detail}). Is it running? Is PASSERELLE_URL right?`,
    failure: (url, status, detail) => `The gateway at ${url} failed (HTTP ${status})${detail ? `: ${detail}` : ''}. Try again later.`,
    refused: (status) => `The gateway refused the request (HTTP ${status}):`,
    unexpected: (detail) => `The command failed: ${detail}`,
    titles: {},
    helpOption: 'display help for command',
    langOption: 'language of the messages (default: French when LC_ALL/LC_MESSAGES/LANG starts with fr, else English)',
    jsonOption: "print the gateway's answers as JSON",
    connectionHelp: (role) => `Connection: PASSERELLE_URL (default http://127.0.0.1:8080), PASSERELLE_CLIENT_ID and PASSERELLE_CLIENT_SECRET
of ${role === 'operator' ? 'an operator' : 'a participant'} client (demo: ${DEMO[role].join(' / ')}).`,
    exitCodes: `Exit codes:
  0  done
  1  the gateway refused the request, or the result is negative (a claim answered error, failed or cancelled)
  2  usage or configuration error: unknown option, unreadable file, missing PASSERELLE_CLIENT_ID/SECRET,
     credentials refused
  3  the gateway could not be reached or failed (5xx), or --wait ran out of time: run it again later`,
    examplesTitle: 'Examples:',
  },
  fr: {
    credentialsMissing: (role) => `Définissez PASSERELLE_CLIENT_ID et PASSERELLE_CLIENT_SECRET pour un client ${role === 'operator' ? 'opérateur' : 'participant'} (démo : ${DEMO[role].join(' / ')})`,
    urlInvalid: (value) => `PASSERELLE_URL doit être une URL http:// ou https://, pas « ${value} »`,
    authenticationFailed: (detail) => `La passerelle a refusé les identifiants du client (PASSERELLE_CLIENT_ID/SECRET) : ${detail}`,
    unreachable: (url, detail) => `La passerelle ne répond pas à ${url} (${detail}). Est-elle démarrée ? PASSERELLE_URL est-elle juste ?`,
    failure: (url, status, detail) => `La passerelle à ${url} a échoué (HTTP ${status})${detail ? ` : ${detail}` : ''}. Réessayez plus tard.`,
    refused: (status) => `La passerelle a refusé la demande (HTTP ${status}) :`,
    unexpected: (detail) => `La commande a échoué : ${detail}`,
    titles: { 'Usage:': 'Utilisation :', 'Options:': 'Options :', 'Arguments:': 'Arguments :', 'Commands:': 'Commandes :', 'Global Options:': 'Options globales :' },
    helpOption: "afficher l'aide de la commande",
    langOption: 'langue des messages (par défaut : le français quand LC_ALL/LC_MESSAGES/LANG commence par fr, sinon l’anglais)',
    jsonOption: 'afficher les réponses de la passerelle en JSON',
    connectionHelp: (role) => `Connexion : PASSERELLE_URL (par défaut http://127.0.0.1:8080), PASSERELLE_CLIENT_ID et PASSERELLE_CLIENT_SECRET
d'un client ${role === 'operator' ? 'opérateur' : 'participant'} (démo : ${DEMO[role].join(' / ')}).`,
    exitCodes: `Codes de sortie :
  0  fait
  1  la passerelle a refusé la demande, ou le résultat est négatif (une demande répondue en erreur, échouée ou annulée)
  2  erreur d'utilisation ou de configuration : option inconnue, fichier illisible, PASSERELLE_CLIENT_ID/SECRET
     absents, identifiants refusés
  3  la passerelle est injoignable ou a échoué (5xx), ou --wait a attendu trop longtemps : relancez plus tard`,
    examplesTitle: 'Exemples :',
  },
};
