#!/usr/bin/env node
/**
 * The `passerelle` command for operators and integrators. One entry, one sub-command per task.
 */
import { Command } from 'commander';
import { hashSecret } from './auth/secrets.js';
import { addDeadLetterCommands } from './operations/cli.js';
import { addClaimCommands } from './operations/claims-cli.js';
import { exitCodeOf } from './operations/gateway-client.js';
import { helpLanguage, languageOption, setUpGatewayCommand } from './operations/gateway-command.js';
import { addParticipantCommands } from './operations/participants-cli.js';
import { addPollCommand } from './operations/poll-cli.js';
import { addKeyCommands } from './operations/keys-cli.js';
import { loadConfig } from './config.js';
import { addRegistryCommands } from './eligibility/registry-cli.js';
import { addValidateCommand } from './validation/validate-cli.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** What this file prints, in each language (the sub-commands have their own texts). */
const TEXTS = {
  en: {
    program: 'Passerelle, a FHIR R4 claims gateway: one command per task (passerelle <command> --help; --lang en|fr)',
    hashSecret: 'print the scrypt hash of a client secret read from standard input, for the secretHash of a seed file',
    tooShort: 'The secret must have at least 16 characters.',
  },
  fr: {
    program: 'Passerelle, passerelle FHIR R4 des demandes de remboursement : une commande par tâche (passerelle <commande> --help ; --lang en|fr)',
    hashSecret: "affiche l'empreinte scrypt d'un secret client lu sur l'entrée standard, pour le secretHash d'un fichier d'amorçage",
    tooShort: 'Le secret doit compter au moins 16 caractères.',
  },
} as const;

const language = helpLanguage();
const t = TEXTS[language];
const program = setUpGatewayCommand(new Command('passerelle').description(t.program).showHelpAfterError(), language, {
  examples: ['passerelle submit claim.json --wait', 'passerelle validate bundles/ --insurer demo-insurer', 'passerelle --help --lang fr'],
});
// --lang is read from the command line by helpLanguage(); declared here so that `passerelle --help --lang fr` is accepted.
// Positional: after a command's name, --lang is that command's option (which checks its value), not this one.
program.enablePositionalOptions().option(...languageOption(language));

setUpGatewayCommand(program.command('hash-secret').description(t.hashSecret).option(...languageOption(language)), language, {
  examples: ['printf %s "$SECRET" | passerelle hash-secret'],
}).action(async () => {
  const secret = await readStdin();
  if (secret.length < 16) {
    console.error(t.tooShort);
    process.exitCode = 2;
    return;
  }
  console.log(await hashSecret(secret));
});

addClaimCommands(program);
addPollCommand(program);
addParticipantCommands(program);
addDeadLetterCommands(program);
addKeyCommands(program, () => loadConfig());
addValidateCommand(program);
addRegistryCommands(program);

// Exit codes of docs/cli.md: 1 the gateway refused, 3 it could not be reached, 2 anything else that kept a command from running.
program.parseAsync().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = exitCodeOf(err);
});
