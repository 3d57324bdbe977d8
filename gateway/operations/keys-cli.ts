/**
 * `passerelle keys rotate`: gives the gateway a new signing key (the current one stays published as
 * the previous key until the next rotation). Run it where the gateway's configuration is (it opens the
 * deployment's database: DATABASE_URL, or the embedded one under DATA_DIR); every running process signs
 * with the new key at once. Rotating twice drops a compromised key from the published set. Its messages,
 * help included, are in English or French as for the other commands (docs/cli.md): --lang, else the locale.
 */
import type { Command } from 'commander';
import { rotate } from '../auth/signing-keys.js';
import type { Config } from '../config.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { EXIT } from './gateway-client.js';
import { TEXTS as SHARED, helpLanguage, languageOption, processTerminal, runGatewayCommand, setUpGatewayCommand, type Terminal } from './gateway-command.js';

/** What the keys commands print, in each language. */
const TEXTS = {
  en: {
    rotated: (kid: string) => `new signing key: ${kid}`,
    group: "the gateway's own keys",
    rotate: 'make a new signing key current; the previous one stays published until the next rotation',
    note: `Run it where the gateway's configuration is: it opens the deployment's database (DATABASE_URL, else the
embedded database under DATA_DIR) and every running process signs with the new key at once. The previous
key stays in the published JWKS until the next rotation; rotate twice to drop a compromised key.`,
    exitCodes: `Exit codes:
  0  done: the new key's kid is printed
  2  the configuration or the database failed: nothing changed`,
  },
  fr: {
    rotated: (kid: string) => `nouvelle clé de signature : ${kid}`,
    group: 'les clés propres à la passerelle',
    rotate: "rend courante une nouvelle clé de signature ; la précédente reste publiée jusqu'à la rotation suivante",
    note: `Lancez-la là où se trouve la configuration de la passerelle : elle ouvre la base de données du déploiement
(DATABASE_URL, sinon la base embarquée sous DATA_DIR) et chaque processus démarré signe aussitôt avec la
nouvelle clé. La clé précédente reste dans le JWKS publié jusqu'à la rotation suivante ; faites deux
rotations pour retirer une clé compromise.`,
    exitCodes: `Codes de sortie :
  0  fait : le kid de la nouvelle clé est affiché
  2  la configuration ou la base de données a échoué : rien n'a changé`,
  },
} as const;

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

/**
 * Runs `passerelle keys rotate`: prints the new kid, and returns the exit code (a failure, in the
 * language, on standard error: exit 2). Never throws.
 */
export async function runKeysRotate(options: { lang?: string }, terminal: Terminal, loadConfig: () => Config): Promise<number> {
  return runGatewayCommand(options.lang, terminal, async ({ language }) => {
    terminal.out(TEXTS[language].rotated(await rotateGatewayKey(loadConfig())));
    return EXIT.ok;
  });
}

/** Adds the keys commands to the program. */
export function addKeyCommands(program: Command, loadConfig: () => Config): void {
  const language = helpLanguage();
  const t = TEXTS[language];
  const examples = ['passerelle keys rotate', 'DATABASE_URL=postgres://passerelle@db/passerelle passerelle keys rotate --lang fr'];
  const group = setUpGatewayCommand(program.command('keys').description(t.group), language, { examples, exitCodes: t.exitCodes })
    .helpCommand('help [command]', SHARED[language].helpOption);
  setUpGatewayCommand(group.command('rotate').description(t.rotate).option(...languageOption(language))
    .action(async (options: { lang?: string }) => {
      process.exitCode = await runKeysRotate(options, processTerminal(), loadConfig);
    }), language, { note: t.note, exitCodes: t.exitCodes, examples });
}
