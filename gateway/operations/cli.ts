/**
 * `passerelle dead-letters …`: the operator API from a terminal. It talks HTTP to a running gateway with
 * an operator's client credentials (PASSERELLE_URL, PASSERELLE_CLIENT_ID, PASSERELLE_CLIENT_SECRET).
 */
import type { Command } from 'commander';
import type { Language } from '../validation/rules.js';
import { EXIT, connectionFromEnv, operatorCall, type OperatorConnection } from './gateway-client.js';
import { helpLanguage, languageOption, setUpGatewayCommand } from './gateway-command.js';

// The connection helper lives in gateway-client.ts (shared with the participants' commands); re-exported for callers of this module.
export { connectionFromEnv, operatorCall, type OperatorConnection };

type Write = (line: string) => void;

interface Summary {
  id: string; provider: string; insurer: string; status: string; attempts: number; replays: number; lastError: string | null; updatedAt: string;
}

/** What the dead-letters commands print, in each language. */
const TEXTS = {
  en: {
    columns: ['claim', 'provider', 'insurer', 'status', 'attempts', 'replays', 'updated', 'last error'],
    total: (n: unknown) => `${String(n)} dead letter(s)`,
    replayed: (c: Summary) => `replayed ${c.id} (${c.insurer}, replay ${c.replays})`,
    notReplayed: (id: string) => `not replayed ${id}: not a dead letter`,
    queued: (n: number) => `${n} claim(s) queued again`,
    nameThem: 'Name the claims to replay, or use --all',
    group: 'list, inspect and replay claims whose delivery failed (operator credentials in PASSERELLE_CLIENT_ID/SECRET)',
    list: 'dead letters, most recent first', show: 'a claim with its timeline', replay: 'queue dead letters again (same insurer idempotency key)',
    insurer: 'only this insurer', json: 'the API answer as JSON', all: 'every dead letter', allInsurer: 'with --all: only this insurer',
    note: 'replay exits 1 when a claim named was not replayed (not a dead letter).',
  },
  fr: {
    columns: ['demande', 'prestataire', 'assureur', 'statut', 'tentatives', 'rejeux', 'mise à jour', 'dernière erreur'],
    total: (n: unknown) => `${String(n)} lettre(s) morte(s)`,
    replayed: (c: Summary) => `rejouée ${c.id} (${c.insurer}, rejeu ${c.replays})`,
    notReplayed: (id: string) => `non rejouée ${id} : ce n'est pas une lettre morte`,
    queued: (n: number) => `${n} demande(s) remise(s) en file`,
    nameThem: 'Nommez les demandes à rejouer, ou utilisez --all',
    group: "liste, examine et rejoue les demandes dont la livraison a échoué (identifiants d'opérateur dans PASSERELLE_CLIENT_ID/SECRET)",
    list: 'les lettres mortes, les plus récentes d\'abord', show: 'une demande et sa chronologie', replay: "remet des lettres mortes en file (même clé d'idempotence pour l'assureur)",
    insurer: 'seulement cet assureur', json: "la réponse de l'API en JSON", all: 'toutes les lettres mortes', allInsurer: 'avec --all : seulement cet assureur',
    note: "replay sort avec 1 quand une demande nommée n'a pas été rejouée (ce n'est pas une lettre morte).",
  },
} as const;

function table(write: Write, claims: Summary[], language: Language = 'en'): void {
  write([...TEXTS[language].columns].join('\t'));
  for (const c of claims) write([c.id, c.provider, c.insurer, c.status, c.attempts, c.replays, c.updatedAt, c.lastError ?? ''].join('\t'));
}

/** `list`: dead letters, most recent first. */
export async function listDeadLetters(conn: OperatorConnection, options: { insurer?: string; json?: boolean }, write: Write, language: Language = 'en'): Promise<void> {
  const query = new URLSearchParams({ _count: '500', ...(options.insurer ? { insurer: options.insurer } : {}) });
  const page = await operatorCall(conn, 'GET', `/admin/dead-letters?${query}`);
  if (options.json) return write(JSON.stringify(page, null, 2));
  table(write, page.claims as Summary[], language);
  write(TEXTS[language].total(page.total));
}

/** `show`: one claim with its timeline. */
export async function showClaim(conn: OperatorConnection, claimId: string, write: Write, language: Language = 'en'): Promise<void> {
  const claim = await operatorCall(conn, 'GET', `/admin/claims/${encodeURIComponent(claimId)}`);
  table(write, [claim as unknown as Summary], language);
  for (const e of claim.events as Array<{ at: string; status: string; detail: unknown }>) {
    write(`  ${e.at}  ${e.status}${e.detail ? `  ${JSON.stringify(e.detail)}` : ''}`);
  }
}

/** `replay`: the given dead letters, or all of them (of one insurer). */
export async function replayDeadLetters(conn: OperatorConnection, ids: string[], options: { all?: boolean; insurer?: string }, write: Write, language: Language = 'en'): Promise<number> {
  const t = TEXTS[language];
  if (ids.length === 0 && !options.all) throw new Error(t.nameThem);
  const answer = await operatorCall(conn, 'POST', '/admin/dead-letters/replay', options.all ? { all: true, insurer: options.insurer } : { claims: ids });
  const replayed = answer.claims as Summary[];
  for (const c of replayed) write(t.replayed(c));
  const missed = ids.filter((id) => !replayed.some((c) => c.id === id));
  for (const id of missed) write(t.notReplayed(id));
  write(t.queued(replayed.length));
  return missed.length;
}

/** Adds the dead-letters commands to the program. */
export function addDeadLetterCommands(program: Command): void {
  const language = helpLanguage();
  const t = TEXTS[language];
  const examples = [
    'PASSERELLE_CLIENT_ID=demo-operator PASSERELLE_CLIENT_SECRET=demo-operator-secret passerelle dead-letters list',
    'passerelle dead-letters replay --all --insurer demo-mutuelle',
  ];
  // Set up on the group, whose sub-commands inherit it: help in the language, usage errors exiting 2 (docs/cli.md).
  const group = setUpGatewayCommand(program.command('dead-letters').description(t.group), language, { role: 'operator', examples, note: t.note });
  const out: Write = (line) => console.log(line);
  const lang = (options: { lang?: string }): Language => (options.lang === 'fr' || options.lang === 'en' ? options.lang : language);
  group.command('list').description(t.list).option('--insurer <id>', t.insurer).option('--json', t.json).option(...languageOption(language))
    .action(async (options: { insurer?: string; json?: boolean; lang?: string }) => listDeadLetters(connectionFromEnv(), options, out, lang(options)));
  group.command('show <claimId>').description(t.show).option(...languageOption(language))
    .action(async (id: string, options: { lang?: string }) => showClaim(connectionFromEnv(), id, out, lang(options)));
  group.command('replay [claimIds...]').description(t.replay).option('--all', t.all).option('--insurer <id>', t.allInsurer).option(...languageOption(language))
    .action(async (ids: string[], options: { all?: boolean; insurer?: string; lang?: string }) => {
      if ((await replayDeadLetters(connectionFromEnv(), ids, options, out, lang(options))) > 0) process.exitCode = EXIT.refused;
    });
}
