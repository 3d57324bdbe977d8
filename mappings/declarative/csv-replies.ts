/**
 * An insurer's CSV reply file → one reply document per claim: the file's rows grouped by the spec's
 * reply.csv.groupBy column, as { rows: [{ column: value, … }, …] }, so that reply expressions read them
 * like a JSON reply (rows.first().status, rows.where(line_no != '')). Values stay text.
 */
import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { ReplyError } from './reply-error.js';
import type { MappingSpec } from './spec-schema.js';

/** One claim's rows of a reply file. */
export interface CsvReplyDocument {
  /** The group-by column's value (the claim reference). */
  readonly key: string;
  readonly document: { readonly rows: ReadonlyArray<Readonly<Record<string, string>>> };
}

/**
 * Parses a reply file (the spec's delimiter, a header row, UTF-8 with or without BOM) and groups its
 * rows, in the order claims first appear. Throws ReplyError naming `source` when the file does not
 * parse, lacks the group-by column or has a row without a value in it.
 */
export function csvReplyDocuments(spec: MappingSpec, text: string, source: string): CsvReplyDocument[] {
  const groupBy = spec.reply.csv?.groupBy;
  if (!groupBy) throw new Error(`mapping spec ${spec.id} has no reply.csv.groupBy: it does not read CSV replies`);
  let records: Array<{ info: { lines: number }; record: string[] }>;
  try {
    records = parse(text, {
      bom: true, delimiter: spec.csv?.delimiter ?? ',', info: true, skip_empty_lines: true, trim: true,
    }) as unknown as typeof records;
  } catch (err) {
    const why = err instanceof CsvError ? err.message : 'unreadable';
    throw new ReplyError(`reply file ${source} does not parse as CSV: ${why}`, { cause: err });
  }
  const [header, ...rows] = records;
  if (!header) throw new ReplyError(`reply file ${source} is empty (a reply file starts with a header row)`);
  const names = header.record;
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new ReplyError(`reply file ${source}: the header has two columns named ${JSON.stringify(duplicate.slice(0, 40))}`);
  if (!names.includes(groupBy)) throw new ReplyError(`reply file ${source} has no ${groupBy} column (columns: ${names.join(', ').slice(0, 300)})`);
  const groups = new Map<string, Array<Record<string, string>>>();
  for (const { info, record } of rows) {
    // Object.fromEntries defines own properties: a column named __proto__ cannot reach the prototype.
    const row = Object.fromEntries(names.map((name, i) => [name, record[i] ?? '']));
    const key = row[groupBy]!;
    if (key === '') throw new ReplyError(`reply file ${source}: the row ending on line ${info.lines} has no ${groupBy}`);
    const group = groups.get(key) ?? [];
    group.push(row);
    groups.set(key, group);
  }
  return [...groups].map(([key, group]) => ({ key, document: { rows: group } }));
}
