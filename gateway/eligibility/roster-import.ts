/**
 * Bulk import of an insurer's roster into the synced registry (docs/eligibility-roster.md). The whole
 * import runs in ONE transaction, so eligibility lookups see the registry as it was before or as it is
 * after, never half-imported; a failure rolls everything back and leaves the import logged as failed.
 * Rows are written in batches (one multi-row statement each) while the next batch is parsed, so the
 * parser and PostgreSQL work at the same time and nothing awaits per row.
 */
import type { Readable } from 'node:stream';
import type { Bilingual } from '../fhir/outcomes.js';
import { ParticipantRegistry } from '../participants/registry.js';
import type { Database, Queryable } from '../store/database.js';
import { MemberStore, type RegistryCoverage, type RowError } from './member-store.js';
import { RosterFormatError, parseRoster, type ColumnMapping, type RosterFormat } from './roster.js';

export type { RowError } from './member-store.js';

export type ImportMode = 'full' | 'delta';

/** What to import, and how. */
export interface ImportOptions {
  readonly insurerId: string;
  readonly format: RosterFormat;
  /** full: the roster lists every coverage, those it omits are ended; delta: it lists changes only. */
  readonly mode: ImportMode;
  readonly input: Readable | AsyncIterable<Buffer | string>;
  /** Recorded with the import (a file name, never its content). */
  readonly sourceName?: string;
  /** CSV: the insurer's own headers, and its separator (detected when unset). */
  readonly columns?: ColumnMapping;
  readonly delimiter?: ',' | ';';
  /** Called after each batch and at the end, with the bytes read from the input and the rows parsed. */
  readonly onProgress?: (bytesRead: number, rowsRead: number) => void;
  /** Error messages kept for the report (every invalid row is counted); default 1000. */
  readonly maxReportedErrors?: number;
  /** Rows per statement; default BATCH_SIZE. */
  readonly batchSize?: number;
  /**
   * Full imports: the largest share of the current coverages it may end (default 0.5; 1 allows any).
   * Registries under MASS_END_FLOOR coverages are not guarded.
   */
  readonly maxEndedShare?: number;
}

const DEFAULT_MAX_ENDED_SHARE = 0.5;
const MASS_END_FLOOR = 100;

/** The outcome of an import that committed. */
export interface ImportReport {
  readonly importId: number;
  readonly rowsRead: number;
  /** Valid rows written (a coverage listed twice counts twice: the last row wins). */
  readonly imported: number;
  readonly invalid: number;
  /** Coverages a full import did not list, now ended. */
  readonly ended: number;
  /** The first maxReportedErrors invalid rows, each message in both languages. */
  readonly errors: RowError[];
  readonly durationMs: number;
}

/**
 * The import ran and failed: nothing of it was written; registry_imports says "failed". Its message is
 * the cause's; `text` says it in both languages (a cause in English only, such as a read or database
 * error, is the same text in both).
 */
export class ImportFailedError extends Error {
  override readonly name = 'ImportFailedError';
  readonly text: Bilingual;
  constructor(readonly importId: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.text = messageOf(cause);
  }
}

/** The import was refused before anything was written (unknown insurer, not synced...); the message is the English of `text`. */
export class ImportRefusedError extends Error {
  override readonly name = 'ImportRefusedError';
  constructor(readonly text: Bilingual) {
    super(text.en);
  }
}

/** The import stopped itself (a safeguard, a lock held elsewhere); the message is the English of `text`. */
class ImportStopped extends Error {
  constructor(readonly text: Bilingual) {
    super(text.en);
  }
}

/** An error the database raised (PostgreSQL or PGlite): it has a SQLSTATE. */
export function isDatabaseError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return err instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * What a failure says, in both languages: its own texts when it has them; for a database error its
 * SQLSTATE and constraint only, since the database's message can quote the file's values (member
 * numbers, names) and this text is stored and shown; else its message (English) in both.
 */
export function messageOf(err: unknown): Bilingual {
  if (err instanceof ImportStopped || err instanceof RosterFormatError) return err.text;
  const { constraint } = (err ?? {}) as { constraint?: unknown };
  if (isDatabaseError(err)) {
    const { code } = err;
    const on = typeof constraint === 'string' ? `, constraint ${constraint}` : '';
    const sur = typeof constraint === 'string' ? `, contrainte ${constraint}` : '';
    return {
      en: `the database refused the import (SQLSTATE ${code}${on}); its message is not kept, as it can quote the file's values`,
      fr: `la base de données a refusé l'import (SQLSTATE ${code}${sur}) ; son message n'est pas conservé, car il peut citer des valeurs du fichier`,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { en: message, fr: message };
}

/**
 * Rows per statement. Measured here on PostgreSQL 15, 1,000,000-row imports into fresh databases: 5,000 gave
 * about 21,000 members/s, 10,000 and 20,000 about 28,000 (first import) and 23,500 (re-import).
 */
export const BATCH_SIZE = 10_000;
const DEFAULT_MAX_ERRORS = 1000;
/** Invalid rows kept with the import in registry_imports (row_errors), for /admin/registries and `registry status`. */
export const STORED_ROW_ERRORS = 100;

const INTERRUPTED: Bilingual = {
  en: 'interrupted: the importing process ended before it finished',
  fr: "interrompu : le processus d'import s'est arrêté avant la fin",
};

/**
 * Imports a roster for a synced insurer. Throws ImportRefusedError, before anything is written, for an
 * unknown participant, a non-insurer or an insurer without synced eligibility settings; throws
 * ImportFailedError when the import itself fails (rolled back). Invalid rows are skipped and reported.
 */
export async function importRoster(db: Database, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const memberSystem = await syncedMemberSystem(db, options.insurerId);
  const { rows } = await db.query<{ id: string }>(
    `insert into registry_imports (insurer_id, mode, format, source_name, status) values ($1, $2, $3, $4, 'running') returning id`,
    [options.insurerId, options.mode, options.format, options.sourceName ?? null]);
  const importId = Number(rows[0]!.id);
  const run = new ImportRun(options, memberSystem, importId);
  try {
    await db.transaction(async (tx) => {
      if (!(await MemberStore.lock(tx, options.insurerId, false))) {
        throw new ImportStopped({
          en: `Another import or sync for ${options.insurerId} is running; run this one when it has finished`,
          fr: `Un autre import ou une synchronisation de ${options.insurerId} est en cours ; relancez celui-ci quand il sera fini`,
        });
      }
      // Holding the lock, any other import still "running" was cut short (its process ended): say so.
      await tx.query(`update registry_imports set status = 'failed', error = $3::jsonb, finished_at = clock_timestamp()
                      where insurer_id = $1 and status = 'running' and id <> $2`, [options.insurerId, importId, JSON.stringify(INTERRUPTED)]);
      await run.writeAll(tx);
      await tx.query(`update registry_imports set status = 'done', rows_read = $2, imported = $3, invalid = $4, ended = $5, row_errors = $6::jsonb, finished_at = clock_timestamp()
                      where id = $1`, [importId, run.rowsRead, run.imported, run.invalid, run.ended, storedRowErrors(run.errors)]);
    });
  } catch (err) {
    const failure = new ImportFailedError(importId, err);
    // Outside the rolled-back transaction, so the failure stays on record.
    await db.query(`update registry_imports set status = 'failed', rows_read = $2, invalid = $3, error = $4::jsonb, row_errors = $5::jsonb, finished_at = clock_timestamp()
                    where id = $1`, [importId, run.rowsRead, run.invalid, JSON.stringify(failure.text), storedRowErrors(run.errors)]).catch(() => undefined);
    throw failure;
  }
  options.onProgress?.(run.bytesRead, run.rowsRead);
  return { importId, rowsRead: run.rowsRead, imported: run.imported, invalid: run.invalid, ended: run.ended, errors: run.errors, durationMs: performance.now() - started };
}

/** The rows to keep with the import (jsonb). */
function storedRowErrors(errors: readonly RowError[]): string {
  return JSON.stringify(errors.slice(0, STORED_ROW_ERRORS));
}

/** The member identifier system of a synced insurer; throws with what to do when it is not one. */
async function syncedMemberSystem(db: Database, insurerId: string): Promise<string> {
  const participant = await new ParticipantRegistry(db).get(insurerId);
  if (!participant) throw new ImportRefusedError({ en: `No participant "${insurerId}" is registered`, fr: `Aucun participant « ${insurerId} » n'est enregistré` });
  if (participant.kind !== 'insurer') {
    throw new ImportRefusedError({
      en: `"${insurerId}" is a ${participant.kind}, not an insurer: only insurers have member registries`,
      fr: `« ${insurerId} » est un participant ${participant.kind}, pas un assureur : seuls les assureurs ont un registre d'adhérents`,
    });
  }
  if (participant.eligibility?.mode !== 'synced') {
    const mode = participant.eligibility?.mode;
    throw new ImportRefusedError({
      en: `Insurer ${insurerId} does not keep a synced registry (${mode ? `its eligibility mode is "${mode}"` : 'it has no eligibility settings'}). `
        + `Give it "eligibility": { "mode": "synced", "memberSystem": "<its member identifier system>" } with PUT /admin/participants/${insurerId} `
        + 'or in the seed file, then import again',
      fr: `L'assureur ${insurerId} ne tient pas de registre synchronisé (${mode ? `son mode d'éligibilité est « ${mode} »` : "il n'a aucun réglage d'éligibilité"}). `
        + `Donnez-lui "eligibility": { "mode": "synced", "memberSystem": "<son système d'identifiants d'adhérent>" } avec PUT /admin/participants/${insurerId} `
        + "ou dans le fichier d'amorçage, puis importez de nouveau",
    });
  }
  return participant.eligibility.memberSystem;
}

/** The state of one import while it streams: counts, the batch being filled, the write in flight. */
class ImportRun {
  bytesRead = 0;
  rowsRead = 0;
  imported = 0;
  invalid = 0;
  ended = 0;
  readonly errors: RowError[] = [];
  /** By coverage id, so one statement never touches a coverage twice (PostgreSQL refuses that); the last row wins. */
  private batch = new Map<string, RegistryCoverage>();
  /** Full imports: coverages of invalid rows, kept as they were rather than ended. */
  private kept = new Set<string>();
  private inFlight: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private readonly batchSize: number;
  private readonly maxErrors: number;

  constructor(private readonly options: ImportOptions, private readonly memberSystem: string, private readonly importId: number) {
    this.batchSize = options.batchSize ?? BATCH_SIZE;
    this.maxErrors = options.maxReportedErrors ?? DEFAULT_MAX_ERRORS;
  }

  async writeAll(tx: Queryable): Promise<void> {
    try {
      await this.writeRows(tx);
    } catch (err) {
      // The transaction rolls back next: let the statement in flight finish on its connection first.
      await this.inFlight;
      throw err;
    }
    if (this.options.mode === 'full') {
      // A file whose every row is refused (wrong separator, wrong mapping...) must not end the whole registry.
      if (this.imported === 0) {
        throw new ImportStopped({
          en: `No valid row in this full import (${this.invalid} invalid): it would end every coverage of ${this.options.insurerId}; nothing was changed`,
          fr: `Aucune ligne valide dans cet import complet (${this.invalid} invalide(s)) : il terminerait toutes les couvertures de ${this.options.insurerId} ; rien n'a été modifié`,
        });
      }
      // A truncated file (a transfer cut short) must not end most of the registry by mistake.
      const { missing, current } = await MemberStore.wouldEnd(tx, this.options.insurerId, this.importId);
      const share = this.options.maxEndedShare ?? DEFAULT_MAX_ENDED_SHARE;
      if (current >= MASS_END_FLOOR && missing > share * current) {
        const percent = Math.round(share * 100);
        throw new ImportStopped({
          en: `This full import would end ${missing} of the ${current} coverages of ${this.options.insurerId} (more than ${percent}%): `
            + 'is the file complete? Nothing was changed; to end them all the same, import again allowing it (CLI: --allow-mass-end)',
          fr: `Cet import complet terminerait ${missing} des ${current} couvertures de ${this.options.insurerId} (plus de ${percent} %) : `
            + "le fichier est-il complet ? Rien n'a été modifié ; pour les terminer quand même, importez de nouveau en l'autorisant (CLI : --allow-mass-end)",
        });
      }
      this.ended = await MemberStore.endMissing(tx, this.options.insurerId, this.importId);
    }
  }

  private async writeRows(tx: Queryable): Promise<void> {
    const { options } = this;
    const rows = parseRoster(this.countBytes(options.input), options.format, { memberSystem: this.memberSystem, columns: options.columns, delimiter: options.delimiter });
    for await (const row of rows) {
      this.rowsRead++;
      if ('coverage' in row) {
        this.imported++;
        this.batch.set(row.coverage.coverageId, row.coverage);
      } else {
        this.invalid++;
        if (this.errors.length < this.maxErrors) this.errors.push({ line: row.line, message: row.error });
        if (options.mode === 'full' && row.coverageId) this.kept.add(row.coverageId);
      }
      if (this.batch.size >= this.batchSize || this.kept.size >= this.batchSize) await this.flush(tx);
    }
    await this.flush(tx);
    await this.inFlight;
    if (this.writeError) throw this.writeError;
  }

  /** Sends the batch once the previous one is written; parsing goes on meanwhile. */
  private async flush(tx: Queryable): Promise<void> {
    await this.inFlight;
    if (this.writeError) throw this.writeError;
    const coverages = [...this.batch.values()];
    const kept = [...this.kept];
    this.batch = new Map();
    this.kept = new Set();
    this.options.onProgress?.(this.bytesRead, this.rowsRead);
    // The rejection is caught at once (an unhandled one would end the process) and rethrown at the next flush.
    this.inFlight = this.write(tx, coverages, kept).catch((err: unknown) => {
      this.writeError = err;
    });
  }

  private async write(tx: Queryable, coverages: RegistryCoverage[], kept: string[]): Promise<void> {
    await MemberStore.upsert(tx, this.options.insurerId, coverages, 'import', this.importId);
    // An invalid row still names a coverage the insurer lists: keep it as it was instead of ending it.
    await MemberStore.markListed(tx, this.options.insurerId, kept, this.importId);
  }

  private async *countBytes(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
    for await (const chunk of input) {
      this.bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      yield chunk;
    }
  }
}
