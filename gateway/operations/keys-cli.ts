/**
 * `passerelle keys rotate`: gives the gateway a new signing key (the current one stays published as
 * the previous key until the next rotation). Run it where the gateway's configuration is (it opens the
 * deployment's database: DATABASE_URL, or the embedded one under DATA_DIR); every running process signs
 * with the new key at once. Rotating twice drops a compromised key from the published set.
 */
import type { Command } from 'commander';
import { rotate } from '../auth/signing-keys.js';
import type { Config } from '../config.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';

/** Rotates the signing key of the deployment this configuration points at; returns the new kid. */
export async function rotateGatewayKey(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<string> {
  const db = await openDatabase(config);
  try {
    await migrate(db);
    return await rotate(db);
  } finally {
    await db.close();
  }
}

/** Adds the keys commands to the program. */
export function addKeyCommands(program: Command, loadConfig: () => Config): void {
  program.command('keys').description("the gateway's own keys")
    .command('rotate').description('make a new signing key current; the previous one stays published until the next rotation')
    .action(async () => {
      console.log(`new signing key: ${await rotateGatewayKey(loadConfig())}`);
    });
}
