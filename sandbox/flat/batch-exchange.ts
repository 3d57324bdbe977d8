// The CSV batch exchange through folders, like an insurer's SFTP drop: per insurer, the gateway drops
// claim batches in <batchDir>/<insurerId>/claims/ and reads the sandbox's replies in .../replies/.
// Every pollMs each claims/*.csv file is processed, its reply written (.tmp, then renamed, so a reader
// never sees half a file), and the file moved to claims/processed/; a file that cannot be read goes to
// claims/rejected/ with <name>.error.txt beside it and gets no reply.
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxContext } from '../context.js';
import type { InsurerSeed } from '../seed.js';
import { batchClaims } from './batch-claims.js';
import { BatchFileError, readClaimsFile } from './batch-csv.js';
import { replyFile } from './batch-reply.js';

/** Where and how often the exchange looks. */
export interface BatchExchangeOptions {
  readonly dir: string;
  readonly pollMs: number;
}

/** The folders of one insurer. */
export interface BatchFolders {
  readonly claims: string;
  readonly processed: string;
  readonly rejected: string;
  readonly replies: string;
}

/** The folders of one insurer under the batch directory. */
export function batchFolders(dir: string, insurerId: string): BatchFolders {
  const claims = join(dir, insurerId, 'claims');
  return { claims, processed: join(claims, 'processed'), rejected: join(claims, 'rejected'), replies: join(dir, insurerId, 'replies') };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text, 'utf8');
  await rename(`${path}.tmp`, path);
}

/** Polls every insurer's claims folder until closed. */
export class BatchExchange {
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: SandboxContext,
    private readonly options: BatchExchangeOptions,
  ) {}

  /**
   * Creates every insurer's folders, synchronously so that an unusable directory stops start-up, and
   * scans at once, then every pollMs.
   */
  start(): void {
    for (const insurer of this.ctx.registry.list()) {
      const folders = batchFolders(this.options.dir, insurer.id);
      for (const folder of [folders.processed, folders.rejected, folders.replies]) {
        mkdirSync(folder, { recursive: true });
      }
    }
    this.schedule(0);
  }

  /** Stops polling and waits for the file in hand. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.scanning;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    // One scan at a time: the next is planned when this one is over, however long it took.
    this.timer = setTimeout(() => {
      this.scanning = this.scan().finally(() => {
        this.scanning = undefined;
        this.schedule(this.options.pollMs);
      });
    }, delayMs);
  }

  private async scan(): Promise<void> {
    for (const insurer of this.ctx.registry.list()) {
      const folders = batchFolders(this.options.dir, insurer.id);
      const names = await readdir(folders.claims, { withFileTypes: true }).then(
        (entries) => entries.filter((e) => e.isFile() && e.name.endsWith('.csv')).map((e) => e.name).sort(),
        () => [] as string[],
      );
      for (const name of names) {
        if (this.closed) return;
        await this.processFile(insurer, folders, name).catch((err: unknown) => {
          // Left in place and tried again at the next poll. The file name is the batch's id, never patient data.
          this.ctx.logger.error({ insurerId: insurer.id, file: name, err: err instanceof Error ? err.message : String(err) }, 'batch file not processed');
        });
      }
    }
  }

  private async processFile(insurer: InsurerSeed, folders: BatchFolders, name: string): Promise<void> {
    const source = join(folders.claims, name);
    const counts = this.ctx.flat.batchFiles;
    let claims;
    try {
      claims = batchClaims(readClaimsFile(await readFile(source)));
    } catch (err) {
      if (!(err instanceof BatchFileError)) throw err;
      await writeAtomically(join(folders.rejected, `${name}.error.txt`), `${err.message}\n`);
      await rename(source, join(folders.rejected, name));
      if (counts) counts.rejected += 1;
      this.ctx.logger.warn({ insurerId: insurer.id, file: name }, 'batch file rejected');
      return;
    }
    const base = name.slice(0, -'.csv'.length);
    await writeAtomically(join(folders.replies, `${base}.reply.csv`), replyFile(this.ctx, insurer, claims));
    await rename(source, join(folders.processed, name));
    if (counts) counts.processed += 1;
    this.ctx.logger.info({ insurerId: insurer.id, file: name, claims: claims.length }, 'batch file processed');
  }
}
