/**
 * CSV rosters: an insurer's own export, with its own headers (mapped to our columns) and separator,
 * read as a stream with csv-parse; each record gives a coverage or a per-line error.
 */
import { Readable, pipeline } from 'node:stream';
import { CsvError, Parser } from 'csv-parse';
import type { Bilingual } from '../fhir/outcomes.js';
import {
  CSV_DATE_FORMATS, MAX_RECORD_BYTES, ROSTER_COLUMNS, RosterFormatError, rosterDate, rowOf, toBuffer,
  type ColumnMapping, type Input, type RosterColumn, type RosterOptions, type RosterRow,
} from './roster-rows.js';

/** Throws RosterFormatError when the mapping names a column Passerelle does not read, or no header. */
export function checkColumnMapping(columns: ColumnMapping): void {
  for (const [column, header] of Object.entries(columns)) {
    if (!(ROSTER_COLUMNS as readonly string[]).includes(column)) {
      throw new RosterFormatError({
        en: `Unknown column "${column}" in the column mapping; the columns are ${ROSTER_COLUMNS.join(', ')}`,
        fr: `Colonne « ${column} » inconnue dans la correspondance des colonnes ; les colonnes sont ${ROSTER_COLUMNS.join(', ')}`,
      });
    }
    if (typeof header !== 'string' || header.trim() === '') {
      throw new RosterFormatError({ en: `The column mapping of ${column} names no header`, fr: `La correspondance de ${column} ne nomme aucun en-tête` });
    }
  }
}

/**
 * Reads a CSV roster (RFC 4180, UTF-8 with or without BOM, comma or semicolon): a header row, then one
 * coverage a row. Line numbers are the file's physical lines (the header is line 1).
 */
export async function* parseCsvRoster(input: Input, options: RosterOptions): AsyncGenerator<RosterRow> {
  const mapping = options.columns ?? {};
  checkColumnMapping(mapping);
  const { head, all } = await peekFirstLine(input);
  const parser = new NumberedParser({
    bom: true, delimiter: options.delimiter ?? detectDelimiter(head), relax_column_count: true, relax_quotes: true,
    skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES,
  });
  // Errors of the source (an unreadable file) reach the loop below through the parser.
  pipeline(Readable.from(all), parser, () => undefined);
  let header: Header | undefined;
  // csv-parse 7 counts a CRLF inside a quoted field as two lines, for that record and every later one.
  let extraLines = 0;
  let lastLine = 0;
  try {
    for await (const [lines, record] of parser as AsyncIterable<[number, string[]]>) {
      const breaks = lineBreaksIn(record);
      const line = lines - extraLines - breaks.crlf - breaks.lf;
      extraLines += breaks.crlf;
      lastLine = line + breaks.lf;
      if (record.every((field) => field.trim() === '')) continue;
      if (!header) {
        header = headerOf(record, mapping);
        continue;
      }
      if (record.length !== header.width) {
        yield { line, error: { en: `has ${record.length} fields where the header has ${header.width}`, fr: `a ${record.length} champs alors que l'en-tête en a ${header.width}` } };
        continue;
      }
      const values: Partial<Record<RosterColumn, string>> = {};
      for (const [column, index] of header.indexes) {
        const value = record[index]!.trim();
        if (value !== '') values[column] = value;
      }
      yield rowOf(line, { values, label: header.label, startRequired: true, dateFormats: CSV_DATE_FORMATS }, options.memberSystem);
    }
  } catch (err) {
    if (err instanceof CsvError) throw new RosterFormatError(csvErrorText(err, lastLine, extraLines), { cause: err });
    throw err;
  }
  if (!header) {
    throw new RosterFormatError({
      en: `The file is empty: a CSV roster starts with a header row (${ROSTER_COLUMNS.join(', ')})`,
      fr: `Le fichier est vide : un fichier d'adhérents CSV commence par une ligne d'en-tête (${ROSTER_COLUMNS.join(', ')})`,
    });
  }
}

/**
 * csv-parse's parser with each record numbered by the line it ends on. Its own `info: true` option does
 * the same but builds two objects per record, which made parsing 1.5× slower; the parser pushes each
 * record synchronously while `info` describes it, so reading `info.lines` there is exact.
 */
class NumberedParser extends Parser {
  override push(record: unknown): boolean {
    return super.push(record === null ? null : [this.info.lines, record]);
  }
}

interface Header {
  readonly width: number;
  readonly indexes: ReadonlyArray<readonly [RosterColumn, number]>;
  /** The file's own name of a column (the same in both languages). */
  readonly label: (column: RosterColumn) => string;
}

function headerOf(record: readonly string[], mapping: ColumnMapping): Header {
  const names = record.map((name) => name.trim());
  const indexes: Array<[RosterColumn, number]> = [];
  const labels = new Map<RosterColumn, string>();
  for (const column of ROSTER_COLUMNS) {
    const wanted = (mapping[column] ?? column).trim().toLowerCase();
    const found = names.flatMap((name, i) => (name.toLowerCase() === wanted ? [i] : []));
    if (found.length > 1) {
      throw new RosterFormatError({ en: `The header has ${found.length} columns named "${names[found[0]!]}"`, fr: `L'en-tête a ${found.length} colonnes nommées « ${names[found[0]!]} »` });
    }
    if (found.length === 1) {
      indexes.push([column, found[0]!]);
      labels.set(column, names[found[0]!]!);
    } else if (mapping[column] !== undefined || column === 'member_id' || column === 'start') {
      // A first line holding a date is a member's row, not a header: say so without quoting it (it is patient data).
      if (names.some((name) => rosterDate(name) !== undefined)) {
        throw new RosterFormatError({
          en: `The first line holds a date, so it is a member's row, not a header: the file needs a header line naming its columns (${column} at least), e.g. member_id,start,end`,
          fr: `La première ligne contient une date : c'est la ligne d'un adhérent, pas un en-tête. Le fichier doit commencer par une ligne d'en-tête qui nomme ses colonnes (au moins ${column}), par exemple member_id,start,end`,
        });
      }
      const mapped = mapping[column] !== undefined;
      throw new RosterFormatError({
        en: `The header has no ${mapped ? `"${mapping[column]}" (mapped to ${column})` : column} column. Columns found: ${names.join(', ')}. `
          + `Name yours with a column mapping (--column ${column}=<your header>)`,
        fr: `L'en-tête n'a pas de colonne ${mapped ? `« ${mapping[column]} » (associée à ${column})` : column}. Colonnes trouvées : ${names.join(', ')}. `
          + `Nommez la vôtre avec une correspondance de colonnes (--column ${column}=<votre en-tête>)`,
      });
    }
  }
  return { width: record.length, indexes, label: (column) => labels.get(column) ?? column };
}

/** Quoted fields may hold line breaks (lf counts every LF, crlf those after a CR); the record started lf lines before it ended. */
function lineBreaksIn(record: readonly string[]): { lf: number; crlf: number } {
  let lf = 0;
  let crlf = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) {
      lf++;
      if (field.charCodeAt(i - 1) === 13) crlf++;
    }
  }
  return { lf, crlf };
}

function csvErrorText(err: CsvError, lastLine: number, extraLines: number): Bilingual {
  const line = ((err as CsvError & { lines?: number }).lines ?? 0) - extraLines;
  const unreadable = { en: 'the rest of the file cannot be read reliably', fr: 'la suite du fichier ne peut pas être lue de façon fiable' };
  switch (err.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return {
        en: `line ${line}: a quoted field goes on after its closing quote (a quote inside a quoted field is written twice: ""); ${unreadable.en}`,
        fr: `ligne ${line} : un champ entre guillemets continue après son guillemet fermant (un guillemet dans un champ entre guillemets s'écrit deux fois : "") ; ${unreadable.fr}`,
      };
    case 'CSV_QUOTE_NOT_CLOSED':
      return {
        en: `line ${lastLine + 1} or after: a quoted field is never closed (a missing quote); ${unreadable.en}`,
        fr: `ligne ${lastLine + 1} ou suivante : un champ entre guillemets n'est jamais fermé (il manque un guillemet) ; ${unreadable.fr}`,
      };
    case 'CSV_MAX_RECORD_SIZE':
      return {
        en: `line ${lastLine + 1} or after: a record is longer than ${MAX_RECORD_BYTES} bytes (a missing quote?); ${unreadable.en}`,
        fr: `ligne ${lastLine + 1} ou suivante : un enregistrement dépasse ${MAX_RECORD_BYTES} octets (il manque un guillemet ?) ; ${unreadable.fr}`,
      };
    default:
      // csv-parse's own words, in English only.
      return { en: `line ${line}: ${err.message}`, fr: `ligne ${line} : ${err.message}` };
  }
}

/** The first line of the input (up to 64 KiB), and the whole input again, that line included. */
async function peekFirstLine(input: Input): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]();
  const seen: Buffer[] = [];
  let size = 0;
  while (size < 65_536) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = toBuffer(next.value);
    seen.push(chunk);
    size += chunk.length;
    if (chunk.includes(0x0a)) break;
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* seen.splice(0);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield toBuffer(next.value);
    } finally {
      await iterator.return?.();
    }
  }
  return { head: Buffer.concat(seen), all: all() };
}

/** The separator of the header line: whichever of , and ; it has more of outside quotes (comma if none). */
export function detectDelimiter(head: Buffer | string): ',' | ';' {
  const text = toBuffer(head).toString('utf8');
  const end = text.indexOf('\n');
  let commas = 0;
  let semicolons = 0;
  let quoting = false;
  for (const c of end === -1 ? text : text.slice(0, end)) {
    if (c === '"') quoting = !quoting;
    else if (!quoting && c === ',') commas++;
    else if (!quoting && c === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}
