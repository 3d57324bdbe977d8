/**
 * `passerelle participants list|show|suspend|reactivate`: the registry administration API
 * (/admin/participants, participants-router.ts) from a terminal, with an operator's credentials.
 * Secrets never appear: the API does not return them.
 */
import type { Command } from 'commander';
import type { Language } from '../validation/rules.js';
import { EXIT, gatewayCall } from './gateway-client.js';
import { TEXTS as SHARED, helpLanguage, languageOption, processTerminal, runGatewayCommand, setUpGatewayCommand, type Terminal } from './gateway-command.js';

/** Options of the participants commands, as commander gives them. */
export interface ParticipantsOptions {
  readonly json?: boolean;
  readonly lang?: string;
}

/** A participant as the operator API gives it (the fields printed). */
interface ParticipantView {
  id: string; kind: string; name: string; status: string; adapter: string | null; callbackUrl: string | null;
  profilePacks?: Array<{ pack: string; version: string; from?: string }>;
  eligibility: { mode?: string } | null;
  clients: Array<{ clientId: string; active: boolean; scopes: string[]; hasSecret: boolean; jwksUrl: string | null; keys: Array<string | null> }>;
  createdAt: string; updatedAt: string;
}

/** Runs `participants list`; never throws. */
export async function runParticipantsList(options: ParticipantsOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language, connection }) => {
    const t = TEXTS[language];
    const page = (await gatewayCall(connection('operator'), 'GET', '/admin/participants')).body as { total: number; participants: ParticipantView[] };
    if (options.json) {
      terminal.out(JSON.stringify(page, null, 2));
      return EXIT.ok;
    }
    terminal.out(t.columns.join('\t'));
    for (const p of page.participants) terminal.out([p.id, p.kind, p.status, p.name, p.clients.filter((c) => c.active).map((c) => c.clientId).join(',') || '-'].join('\t'));
    terminal.out(t.total(page.total));
    return EXIT.ok;
  });
}

/** Runs `participants show <id>`; never throws. */
export async function runParticipantsShow(id: string, options: ParticipantsOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language, connection }) => {
    const p = (await gatewayCall(connection('operator'), 'GET', `/admin/participants/${encodeURIComponent(id)}`)).body as unknown as ParticipantView;
    terminal.out(options.json ? JSON.stringify(p, null, 2) : details(p, language));
    return EXIT.ok;
  });
}

/** Runs `participants suspend <id>` or `participants reactivate <id>`; never throws. */
export async function runParticipantsStatus(id: string, change: 'suspend' | 'reactivate', options: ParticipantsOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language, connection }) => {
    const p = (await gatewayCall(connection('operator'), 'POST', `/admin/participants/${encodeURIComponent(id)}/$${change}`)).body as unknown as ParticipantView;
    terminal.out(options.json ? JSON.stringify(p, null, 2) : TEXTS[language].changed(p.id, p.status));
    return EXIT.ok;
  });
}

function details(p: ParticipantView, language: Language): string {
  const t = TEXTS[language];
  const rows: Array<[string, string]> = [
    [t.labels.id, p.id], [t.labels.kind, p.kind], [t.labels.name, p.name], [t.labels.status, p.status],
    ...(p.adapter ? [[t.labels.adapter, p.adapter] as [string, string]] : []),
    ...(p.eligibility?.mode ? [[t.labels.eligibility, p.eligibility.mode] as [string, string]] : []),
    ...((p.profilePacks?.length ?? 0) > 0 ? [[t.labels.packs, p.profilePacks!.map((x) => `${x.pack}@${x.version}${x.from ? ` (${x.from})` : ''}`).join(', ')] as [string, string]] : []),
    [t.labels.callback, p.callbackUrl ?? '-'],
    [t.labels.updated, p.updatedAt],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  lines.push(t.labels.clients);
  for (const c of p.clients) {
    const auth = [c.hasSecret ? t.secret : undefined, c.jwksUrl ? `jwksUrl ${c.jwksUrl}` : undefined, c.keys.length > 0 ? t.keys(c.keys.length) : undefined].filter(Boolean).join(', ');
    lines.push(`  ${c.clientId}  ${c.active ? t.active : t.disabled}  ${auth || '-'}  ${c.scopes.join(' ')}`);
  }
  if (p.clients.length === 0) lines.push('  -');
  return lines.join('\n');
}

// ---- texts ----------------------------------------------------------------------------------------

interface Texts {
  readonly columns: readonly string[];
  total(n: number): string;
  changed(id: string, status: string): string;
  readonly labels: Readonly<Record<'id' | 'kind' | 'name' | 'status' | 'adapter' | 'eligibility' | 'packs' | 'callback' | 'updated' | 'clients', string>>;
  readonly secret: string;
  keys(n: number): string;
  readonly active: string;
  readonly disabled: string;
  readonly help: { readonly group: string; readonly list: string; readonly show: string; readonly suspend: string; readonly reactivate: string; readonly id: string };
}

const TEXTS: Readonly<Record<Language, Texts>> = {
  en: {
    columns: ['id', 'kind', 'status', 'name', 'active clients'],
    total: (n) => `${n} participant(s)`,
    changed: (id, status) => `${id} is now ${status}`,
    labels: { id: 'id', kind: 'kind', name: 'name', status: 'status', adapter: 'adapter', eligibility: 'eligibility', packs: 'profile packs', callback: 'callback', updated: 'updated', clients: 'clients:' },
    secret: 'secret',
    keys: (n) => `${n} key(s)`,
    active: 'active',
    disabled: 'disabled',
    help: {
      group: 'the participant registry (operator credentials): list, show, suspend, reactivate',
      list: 'every participant: id, kind, status, name, active clients',
      show: 'one participant: adapter, eligibility, packs, callback, clients and their scopes (never a secret)',
      suspend: 'suspend a participant: no token, no call, no claim addressed to it',
      reactivate: 'reactivate a suspended participant',
      id: 'the participant id (e.g. demo-hospital)',
    },
  },
  fr: {
    columns: ['id', 'type', 'statut', 'nom', 'clients actifs'],
    total: (n) => `${n} participant(s)`,
    changed: (id, status) => `${id} est maintenant ${status}`,
    labels: { id: 'id', kind: 'type', name: 'nom', status: 'statut', adapter: 'adaptateur', eligibility: 'éligibilité', packs: 'packs de profils', callback: 'rappel', updated: 'modifié', clients: 'clients :' },
    secret: 'secret',
    keys: (n) => `${n} clé(s)`,
    active: 'actif',
    disabled: 'désactivé',
    help: {
      group: 'le registre des participants (identifiants d’opérateur) : list, show, suspend, reactivate',
      list: 'tous les participants : id, type, statut, nom, clients actifs',
      show: 'un participant : adaptateur, éligibilité, packs, rappel, clients et leurs scopes (jamais un secret)',
      suspend: 'suspendre un participant : plus de jeton, plus d’appel, plus de demande qui lui soit adressée',
      reactivate: 'réactiver un participant suspendu',
      id: 'l’identifiant du participant (par ex. demo-hospital)',
    },
  },
};

/** Adds the participants commands to the program. */
export function addParticipantCommands(program: Command): void {
  const language = helpLanguage();
  const t = TEXTS[language];
  const json = SHARED[language].jsonOption;
  const examples = [
    'export PASSERELLE_CLIENT_ID=demo-operator PASSERELLE_CLIENT_SECRET=demo-operator-secret',
    'passerelle participants list',
    'passerelle participants show demo-hospital --json',
    'passerelle participants suspend demo-hospital',
    'passerelle participants reactivate demo-hospital',
  ];
  const group = setUpGatewayCommand(program.command('participants').description(t.help.group), language, { role: 'operator', examples })
    .helpCommand('help [command]', SHARED[language].helpOption);
  const run = (code: Promise<number>) => code.then((c) => void (process.exitCode = c));
  setUpGatewayCommand(group.command('list').description(t.help.list).option('--json', json).option(...languageOption(language))
    .action(async (options: ParticipantsOptions) => run(runParticipantsList(options, processTerminal()))), language, { role: 'operator', examples: [examples[1]!] });
  setUpGatewayCommand(group.command('show').description(t.help.show).argument('<id>', t.help.id).option('--json', json).option(...languageOption(language))
    .action(async (id: string, options: ParticipantsOptions) => run(runParticipantsShow(id, options, processTerminal()))), language, { role: 'operator', examples: [examples[2]!] });
  for (const change of ['suspend', 'reactivate'] as const) {
    setUpGatewayCommand(group.command(change).description(t.help[change]).argument('<id>', t.help.id).option('--json', json).option(...languageOption(language))
      .action(async (id: string, options: ParticipantsOptions) => run(runParticipantsStatus(id, change, options, processTerminal()))), language, { role: 'operator', examples: [`passerelle participants ${change} demo-hospital`] });
  }
}
