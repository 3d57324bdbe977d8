/**
 * `passerelle poll`: the messages waiting for a participant (GET /fhir/$poll: answers, information
 * requests, payments), one line each with what it is about but nothing of the patient; --ack
 * acknowledges exactly the messages printed (POST /fhir/$poll-ack), so they are not given again.
 */
import type { Command } from 'commander';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Language } from '../validation/rules.js';
import { UsageError } from '../validation/validate-cli.js';
import { answerSummary } from './claim-answers.js';
import { EXIT, gatewayCall } from './gateway-client.js';
import { TEXTS as SHARED, helpLanguage, languageOption, processTerminal, runGatewayCommand, setUpGatewayCommand, type Terminal } from './gateway-command.js';

/** Options of `poll`, as commander gives them. */
export interface PollOptions {
  readonly ack?: boolean;
  readonly count?: string;
  readonly json?: boolean;
  readonly lang?: string;
}

type Message = Resource & { id: string } & Record<string, unknown>;

/** Runs `passerelle poll` and returns its exit code; never throws. */
export async function runPoll(options: PollOptions, terminal: Terminal): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language, connection }) => {
    const t = TEXTS[language];
    const count = options.count === undefined ? 50 : Number(options.count);
    if (!/^\d+$/.test(options.count ?? '50') || count < 1 || count > 500) throw new UsageError(t.badCount(options.count ?? ''));
    const conn = connection('participant');
    const bundle = (await gatewayCall(conn, 'GET', `/fhir/$poll?_count=${count}`)).body as unknown as Bundle;
    const messages = (bundle.entry ?? []).map((e) => e.resource as Message).filter((m) => m?.id);
    const ack = options.ack && messages.length > 0
      ? (await gatewayCall(conn, 'POST', '/fhir/$poll-ack', {
          contentType: 'application/fhir+json',
          body: { resourceType: 'Parameters', parameter: messages.map((m) => ({ name: 'message', valueReference: { reference: `${m.resourceType}/${m.id}` } })) },
        })).body
      : undefined;
    if (options.json) {
      terminal.out(JSON.stringify({ poll: bundle, ack: ack ?? null }, null, 2));
      return EXIT.ok;
    }
    for (const m of messages) terminal.out(`${m.resourceType}/${m.id}  ${messageSummary(m, language)}`);
    terminal.out(messages.length === 0 ? t.none() : t.shown(messages.length, bundle.total ?? messages.length));
    if (ack) terminal.out(t.acknowledged(((ack.parameter as Array<{ valueInteger?: number }> | undefined)?.[0]?.valueInteger) ?? 0));
    return EXIT.ok;
  });
}

/** What a message is about, on one line, without the patient. */
export function messageSummary(m: Message, language: Language): string {
  const t = TEXTS[language];
  const ref = (field: unknown) => (field as { reference?: string } | undefined)?.reference;
  const money = (field: unknown) => {
    const amount = field as { value?: number; currency?: string } | undefined;
    return amount?.value !== undefined ? `${amount.value}${amount.currency ? ` ${amount.currency}` : ''}` : undefined;
  };
  switch (m.resourceType) {
    case 'ClaimResponse':
      return t.about(ref(m.request) ?? '?', answerSummary(m as never, language));
    case 'CoverageEligibilityResponse': {
      const inforce = (m.insurance as Array<{ inforce?: boolean }> | undefined)?.[0]?.inforce;
      return t.about(ref(m.request) ?? '?', `${t.outcome(String(m.outcome ?? '?'))}${inforce === undefined ? '' : `, ${t.inforce(inforce)}`}`);
    }
    case 'CommunicationRequest':
      return t.informationRequest(((m.about as Array<{ reference?: string }> | undefined) ?? []).map((a) => a.reference).filter(Boolean).join(', ') || '?');
    case 'Communication':
      return t.communication(((m.about as Array<{ reference?: string }> | undefined) ?? []).map((a) => a.reference).filter(Boolean).join(', ') || '?');
    case 'PaymentNotice':
      return t.paymentNotice(money(m.amount) ?? '?', ref(m.request) ?? ref(m.response) ?? '?', (m.paymentStatus as { coding?: Array<{ code?: string }> } | undefined)?.coding?.[0]?.code);
    case 'PaymentReconciliation':
      return t.paymentReconciliation(money(m.paymentAmount) ?? '?', String(m.paymentDate ?? '?'), (m.detail as unknown[] | undefined)?.length ?? 0);
    default:
      return '';
  }
}

// ---- texts ----------------------------------------------------------------------------------------

interface Texts {
  badCount(value: string): string;
  none(): string;
  shown(shown: number, total: number): string;
  acknowledged(count: number): string;
  about(reference: string, text: string): string;
  outcome(o: string): string;
  inforce(yes: boolean): string;
  informationRequest(about: string): string;
  communication(about: string): string;
  paymentNotice(amount: string, about: string, status?: string): string;
  paymentReconciliation(amount: string, date: string, details: number): string;
  readonly help: { readonly poll: string; readonly ack: string; readonly count: string; readonly note: string };
}

const TEXTS: Readonly<Record<Language, Texts>> = {
  en: {
    badCount: (value) => `--count takes a whole number from 1 to 500, not "${value}"`,
    none: () => 'No message waiting.',
    shown: (shown, total) => `${shown} message(s) shown, ${total} waiting`,
    acknowledged: (count) => `${count} message(s) acknowledged`,
    about: (reference, text) => `${reference}: ${text}`,
    outcome: (o) => `outcome ${o}`,
    inforce: (yes) => (yes ? 'coverage in force' : 'coverage not in force'),
    informationRequest: (about) => `the insurer asks for information about ${about}`,
    communication: (about) => `a message from the provider about ${about}`,
    paymentNotice: (amount, about, status) => `payment of ${amount} for ${about}${status ? ` (${status})` : ''}`,
    paymentReconciliation: (amount, date, details) => `payment run of ${amount} on ${date}, ${details} line(s)`,
    help: {
      poll: 'the messages waiting for you (GET /fhir/$poll): answers, information requests, payments; --ack acknowledges them',
      ack: 'acknowledge the messages printed, so the gateway stops giving them (POST /fhir/$poll-ack)',
      count: 'at most this many messages, oldest first (1 to 500, default 50)',
      note: 'A message comes again at every poll until it is acknowledged: read, act, then poll --ack (or --json then ack yourself).',
    },
  },
  fr: {
    badCount: (value) => `--count prend un nombre entier de 1 à 500, pas « ${value} »`,
    none: () => 'Aucun message en attente.',
    shown: (shown, total) => `${shown} message(s) affiché(s), ${total} en attente`,
    acknowledged: (count) => `${count} message(s) acquitté(s)`,
    about: (reference, text) => `${reference} : ${text}`,
    outcome: (o) => `résultat ${o}`,
    inforce: (yes) => (yes ? 'couverture en vigueur' : 'couverture pas en vigueur'),
    informationRequest: (about) => `l'assureur demande des informations sur ${about}`,
    communication: (about) => `un message du prestataire sur ${about}`,
    paymentNotice: (amount, about, status) => `paiement de ${amount} pour ${about}${status ? ` (${status})` : ''}`,
    paymentReconciliation: (amount, date, details) => `paiement groupé de ${amount} le ${date}, ${details} ligne(s)`,
    help: {
      poll: 'les messages qui vous attendent (GET /fhir/$poll) : réponses, demandes d’information, paiements ; --ack les acquitte',
      ack: 'acquitter les messages affichés, pour que la passerelle ne les donne plus (POST /fhir/$poll-ack)',
      count: 'au plus ce nombre de messages, les plus anciens d’abord (1 à 500, 50 par défaut)',
      note: 'Un message revient à chaque relève tant qu’il n’est pas acquitté : lisez, agissez, puis poll --ack (ou --json puis acquittez vous-même).',
    },
  },
};

/** Adds poll to the program. */
export function addPollCommand(program: Command): void {
  const language = helpLanguage();
  const t = TEXTS[language];
  const poll = program.command('poll')
    .description(t.help.poll)
    .option('--ack', t.help.ack)
    .option('--count <n>', t.help.count)
    .option('--json', SHARED[language].jsonOption)
    .option(...languageOption(language))
    .action(async (options: PollOptions) => {
      process.exitCode = await runPoll(options, processTerminal());
    });
  setUpGatewayCommand(poll, language, {
    role: 'participant', note: t.help.note,
    examples: ['passerelle poll', 'passerelle poll --count 10 --ack', 'passerelle poll --json > messages.json'],
  });
}
