#!/usr/bin/env node
/**
 * The `passerelle` command for operators and integrators. One entry, one sub-command per task.
 */
import { Command } from 'commander';
import { hashSecret } from './auth/secrets.js';
import { addDeadLetterCommands } from './operations/cli.js';
import { addClaimCommands } from './operations/claims-cli.js';
import { exitCodeOf } from './operations/gateway-client.js';
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

const program = new Command('passerelle').description('Passerelle, a FHIR R4 claims gateway').showHelpAfterError();

program
  .command('hash-secret')
  .description('print the scrypt hash of a client secret read from standard input, for the secretHash of a seed file')
  .action(async () => {
    const secret = await readStdin();
    if (secret.length < 16) {
      console.error('The secret must have at least 16 characters.');
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
