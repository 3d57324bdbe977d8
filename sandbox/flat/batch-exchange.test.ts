// The CSV batch exchange through real folders: files dropped the way the gateway drops them (.tmp,
// then renamed), replies awaited by polling the folder with a deadline, never by sleeping.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSandbox, type SandboxHandle } from '../server.js';

// The fixtures are dated 2025; the clock is pinned inside that year so "current year" means 2025.
const NOW = new Date('2025-06-15T10:00:00Z');
const fixtures = new URL('../fixtures/flat/', import.meta.url);

function fixture(name: string): Promise<Buffer> {
  return readFile(new URL(name, fixtures));
}

/** Polls for a file with a deadline: the exchange works at its own pace. */
async function fileAppears(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear in time`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('CSV batch exchange', () => {
  let dir: string;
  let sandbox: SandboxHandle;
  const folder = (...parts: string[]): string => join(dir, 'demo-insurer', ...parts);
  /** Writes a claims file as the gateway does: a .tmp first, renamed once complete. */
  const drop = async (name: string, content: Buffer | string): Promise<void> => {
    await writeFile(folder('claims', `${name}.tmp`), content);
    await rename(folder('claims', `${name}.tmp`), folder('claims', name));
  };
  const stats = async (): Promise<Record<string, unknown>> => (await (await fetch(`${sandbox.url}/_control/stats`)).json()) as Record<string, unknown>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'passerelle-batch-'));
    sandbox = await startSandbox({ port: 0, now: () => NOW, control: true, logger: pino({ level: 'silent' }), batchDir: dir, batchPollMs: 20 });
  });
  afterEach(async () => {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('creates each insurer claims and replies folders at start', () => {
    for (const insurer of ['demo-insurer', 'demo-mutuelle']) {
      expect(existsSync(join(dir, insurer, 'claims'))).toBe(true);
      expect(existsSync(join(dir, insurer, 'replies'))).toBe(true);
    }
  });

  test('answers a batch of several claims with the expected reply file, then moves the batch to processed/', async () => {
    await drop('claims-batch.csv', await fixture('claims-batch.csv'));

    await fileAppears(folder('replies', 'claims-batch.reply.csv'));

    const reply = await readFile(folder('replies', 'claims-batch.reply.csv'), 'utf8');
    expect(reply).toBe((await fixture('claims-batch.reply.csv')).toString('utf8'));
    await fileAppears(folder('claims', 'processed', 'claims-batch.csv'));
    expect(existsSync(folder('claims', 'claims-batch.csv'))).toBe(false);
    expect(await readdir(folder('replies'))).toEqual(['claims-batch.reply.csv']);
    expect(await stats()).toMatchObject({ batchFiles: { processed: 1, rejected: 0 } });
  });

  test.each([
    ['claims-comma-delimited.csv', /lacks the required column\(s\) claim_ref, provider_code/],
    ['claims-unclosed-quote.csv', /not CSV with ";" between fields and RFC 4180 quoting: Quote Not Closed/],
  ])('moves %s to rejected/ with an error file saying why, and writes no reply', async (name, why) => {
    await drop(name, await fixture(name));

    await fileAppears(folder('claims', 'rejected', name));

    expect(await readFile(folder('claims', 'rejected', `${name}.error.txt`), 'utf8')).toMatch(why);
    expect(existsSync(folder('claims', name))).toBe(false);
    expect(await readdir(folder('replies'))).toEqual([]);
    expect(await stats()).toMatchObject({ batchFiles: { processed: 0, rejected: 1 } });
  });

  test('leaves .tmp files alone: only complete *.csv files are taken', async () => {
    await writeFile(folder('claims', 'half-written.csv.tmp'), await fixture('claims-batch.csv'));
    // A scan that processes this file has seen the .tmp file too, since it was there first.
    await drop('after.csv', await fixture('claims-batch.csv'));

    await fileAppears(folder('replies', 'after.reply.csv'));

    expect(existsSync(folder('claims', 'half-written.csv.tmp'))).toBe(true);
    expect(await readdir(folder('replies'))).toEqual(['after.reply.csv']);
  });

  test('a file whose rows are all blank but the header gets a reply with the header only', async () => {
    await drop('empty-batch.csv', 'claim_ref;provider_code;member_number;visit_date;diagnosis_code;line_no;act_code;quantity;unit_price;amount\r\n\r\n');

    await fileAppears(folder('replies', 'empty-batch.reply.csv'));

    expect(await readFile(folder('replies', 'empty-batch.reply.csv'), 'utf8')).toBe(
      'claim_ref;status;line_no;amount_claimed;amount_covered;patient_share;reject_code;message\r\n',
    );
  });
});

describe('CSV batch exchange, off', () => {
  test('without batchDir the stats carry no batch counters', async () => {
    const sandbox = await startSandbox({ port: 0, control: true, logger: pino({ level: 'silent' }) });
    try {
      expect(await (await fetch(`${sandbox.url}/_control/stats`)).json()).not.toHaveProperty('batchFiles');
    } finally {
      await sandbox.close();
    }
  });
});
