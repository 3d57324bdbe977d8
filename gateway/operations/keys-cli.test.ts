import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { SigningKeys } from '../auth/signing-keys.js';
import { loadConfig, type Config } from '../config.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { createTestDatabase } from '../../test/harness.js';
import type { Terminal } from './gateway-command.js';
import { addKeyCommands, rotateGatewayKey, runKeysRotate } from './keys-cli.js';

/** A terminal that keeps what the command writes, in English unless env says otherwise. */
function terminal(env: NodeJS.ProcessEnv = {}): Terminal & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { env: { LC_ALL: '', LC_MESSAGES: '', LANG: 'en_US.UTF-8', ...env }, out: (text) => stdout.push(text), err: (text) => stderr.push(text), stdout, stderr };
}

describe('passerelle keys rotate', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let config: Config;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'passerelle-keys-'));
    config = loadConfig({ PASSERELLE_MODE: 'demo', DATABASE_URL: database.url, DATA_DIR: dataDir, SEED_FILE: '' });
  });

  afterAll(async () => {
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes a new key current and keeps the old one published, for the deployment the configuration names', async () => {
    const db = await openDatabase({ databaseUrl: database.url, dataDir });
    try {
      await migrate(db);
      const keys = await SigningKeys.open(db);
      const before = (await keys.current()).kid;
      const kid = await rotateGatewayKey({ databaseUrl: database.url, dataDir });
      expect(kid).not.toBe(before);
      expect((await keys.current()).kid).toBe(kid); // a running process signs with it at once
      expect((await keys.publicJwks()).keys.map((k) => k.kid)).toEqual([kid, before]);
    } finally {
      await db.close();
    }
  });

  it('prints the new kid in English or French: --lang, else the locale', async () => {
    const db = await openDatabase({ databaseUrl: database.url, dataDir });
    try {
      const keys = await SigningKeys.open(db);
      const kidOf = (line: string | undefined, prefix: string) => {
        expect(line?.startsWith(prefix)).toBe(true);
        return line!.slice(prefix.length);
      };

      const english = terminal();
      expect(await runKeysRotate({}, english, () => config)).toBe(0);
      expect(english.stderr).toEqual([]);
      expect(kidOf(english.stdout[0], 'new signing key: ')).toBe((await keys.current()).kid);

      const byLocale = terminal({ LANG: 'fr_SN.UTF-8' });
      expect(await runKeysRotate({}, byLocale, () => config)).toBe(0);
      expect(kidOf(byLocale.stdout[0], 'nouvelle clé de signature : ')).toBe((await keys.current()).kid);

      const byOption = terminal({ LANG: 'en_US.UTF-8' });
      expect(await runKeysRotate({ lang: 'fr' }, byOption, () => config)).toBe(0);
      expect(kidOf(byOption.stdout[0], 'nouvelle clé de signature : ')).toBe((await keys.current()).kid);
      expect(byOption.stdout).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('says why it failed, in the language, and exits 2', async () => {
    // The configuration's own list of problems (English) follows the command's words.
    const refuse = () => loadConfig({ PASSERELLE_MODE: 'demo', PORT: 'not-a-port', DATA_DIR: dataDir });
    const french = terminal({ LC_ALL: 'fr_FR.UTF-8' });
    expect(await runKeysRotate({}, french, refuse)).toBe(2);
    expect(french.stdout).toEqual([]);
    expect(french.stderr).toEqual([expect.stringMatching(/^La commande a échoué : Invalid configuration:\n {2}- PORT: /)]);
    const english = terminal();
    expect(await runKeysRotate({ lang: 'en' }, english, refuse)).toBe(2);
    expect(english.stderr).toEqual([expect.stringMatching(/^The command failed: Invalid configuration:\n {2}- PORT: /)]);
    const badLanguage = terminal();
    expect(await runKeysRotate({ lang: 'de' }, badLanguage, () => config)).toBe(2);
    expect(badLanguage.stderr).toEqual(['--lang takes en or fr, not "de"']);
  });

  it('gives its help in the language of the locale', () => {
    const help = (locale: string) => {
      const saved = process.env.LC_ALL;
      process.env.LC_ALL = locale;
      try {
        const program = new Command('passerelle');
        addKeyCommands(program, () => config);
        const rotate = program.commands.find((c) => c.name() === 'keys')!.commands.find((c) => c.name() === 'rotate')!;
        let text = '';
        rotate.configureOutput({ writeOut: (s) => (text += s) });
        rotate.outputHelp();
        return text.replace(/\s+/g, ' '); // whatever the width it is wrapped to
      } finally {
        if (saved === undefined) delete process.env.LC_ALL;
        else process.env.LC_ALL = saved;
      }
    };
    const fr = help('fr_FR.UTF-8');
    for (const text of ['Utilisation :', "rend courante une nouvelle clé de signature ; la précédente reste publiée jusqu'à la rotation suivante",
      '--lang <en|fr>', "afficher l'aide de la commande", 'faites deux rotations pour retirer une clé compromise', 'Codes de sortie : 0 fait', 'Exemples : passerelle keys rotate']) {
      expect(fr).toContain(text);
    }
    const en = help('en_US.UTF-8');
    for (const text of ['Usage:', 'make a new signing key current; the previous one stays published until the next rotation', 'Exit codes: 0 done', 'Examples:']) {
      expect(en).toContain(text);
    }
    expect(en).not.toContain('Codes de sortie');
  });
});
