/**
 * The shape of a declarative mapping spec (a JSON file per insurer dialect), checked with zod when it
 * is loaded. Only the shape lives here; expressions are compiled and checked in compile-spec.ts.
 */
import { z } from 'zod';

/** A field name: a JSON key of the record and a CSV column. */
const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _ only, not starting with a digit');
const expression = z.string().trim().min(1, 'an empty FHIRPath expression');
const constant = z.union([z.string(), z.number(), z.boolean()]);

/** One value of the insurer's record, from a FHIRPath expression or a constant. */
const fieldSchema = z.strictObject({
  name: fieldName,
  path: expression.optional(),
  value: constant.optional(),
  type: z.enum(['string', 'integer', 'decimal', 'date', 'boolean']).default('string'),
  required: z.boolean().default(false),
  /** FHIRPath condition (on the same input as path) under which the field is required. */
  requiredWhen: expression.optional(),
  maxLength: z.number().int().positive().optional(),
  pattern: z.string().min(1).optional(),
  /** Translation table: the claim's value → the insurer's; a value without an entry is an issue. */
  codes: z.record(z.string(), constant).optional(),
  /** Several values are joined with this separator (without it, several values are an issue). */
  join: z.string().optional(),
  /** FHIRPath of the element issues point at, when the path does not say it well. */
  element: z.string().min(1).optional(),
  description: z.string().optional(),
}).superRefine((field, ctx) => {
  if ((field.path === undefined) === (field.value === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'a field has either a path or a value', path: ['path'] });
  }
  if (field.pattern !== undefined) {
    try {
      new RegExp(field.pattern, 'u');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}`, path: ['pattern'] });
    }
  }
});

const itemsSchema = z.strictObject({
  name: fieldName,
  path: expression,
  fields: z.array(fieldSchema).min(1),
});

const claimSchema = z.strictObject({
  accepts: z.array(z.string().min(1)).min(1),
  fields: z.array(fieldSchema).default([]),
  items: itemsSchema.optional(),
  after: z.array(fieldSchema).default([]),
});

const replySchema = z.strictObject({
  claimId: expression,
  insurerReference: expression.optional(),
  outcome: z.strictObject({
    path: expression,
    codes: z.record(z.string(), z.enum(['complete', 'partial', 'error', 'queued'])).refine((c) => Object.keys(c).length > 0, 'an empty table'),
  }),
  disposition: expression.optional(),
  items: z.strictObject({
    path: expression,
    sequence: expression,
    submitted: expression.optional(),
    benefit: expression.optional(),
    copay: expression.optional(),
    reason: z.strictObject({ code: expression, display: expression.optional(), system: z.string().min(1) }).optional(),
  }).optional(),
  total: z.strictObject({ submitted: expression.optional(), benefit: expression.optional(), copay: expression.optional() }).optional(),
  errors: z.strictObject({ path: expression, code: expression, display: expression.optional(), system: z.string().min(1) }).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code (XOF)'),
  csv: z.strictObject({ groupBy: z.string().min(1) }).optional(),
});

const endpoint = (methods: readonly [string, ...string[]]) => z.strictObject({
  method: z.enum(methods),
  path: z.string().regex(/^\/[^\s?#]*$/, 'a path starting with /, without query or spaces'),
});

const transportSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http-json'),
    submit: endpoint(['POST', 'PUT']),
    status: endpoint(['GET']).optional(),
    apiKeyHeader: z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name').optional(),
  }),
  z.strictObject({ kind: z.literal('csv-batch') }),
]);

/** A mapping spec, as validated. */
export const mappingSpecSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
  version: z.string().min(1),
  description: z.string().optional(),
  insurerName: z.string().min(1),
  format: z.enum(['json', 'csv']),
  csv: z.strictObject({
    delimiter: z.string().length(1).refine((d) => !['"', '\r', '\n'].includes(d), 'not a quote or a line break'),
  }).optional(),
  claim: claimSchema,
  reply: replySchema,
  transport: transportSchema,
}).superRefine((spec, ctx) => {
  const problem = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', message, path });
  if (spec.format === 'csv') {
    if (!spec.csv) problem(['csv'], 'required when format is csv');
    if (!spec.reply.csv) problem(['reply', 'csv'], 'required when format is csv (the column replies are grouped by)');
    if (spec.transport.kind !== 'csv-batch') problem(['transport', 'kind'], 'format csv goes through the csv-batch transport');
  } else {
    if (spec.csv) problem(['csv'], 'only for format csv');
    if (spec.reply.csv) problem(['reply', 'csv'], 'only for format csv');
    if (spec.transport.kind !== 'http-json') problem(['transport', 'kind'], 'format json goes through the http-json transport');
  }
  const seen = new Set<string>();
  const sections: Array<[string, ReadonlyArray<{ name: string }>]> = [
    ['fields', spec.claim.fields], ['items.fields', spec.claim.items?.fields ?? []], ['after', spec.claim.after],
  ];
  if (spec.claim.items) seen.add(spec.claim.items.name);
  for (const [section, fields] of sections) {
    fields.forEach((field, i) => {
      if (seen.has(field.name)) problem(['claim', ...section.split('.'), i, 'name'], `"${field.name}" is used twice`);
      seen.add(field.name);
    });
  }
});

/** A mapping spec, as validated (defaults applied). */
export type MappingSpec = z.output<typeof mappingSpecSchema>;
/** One field of a spec. */
export type FieldSpec = z.output<typeof fieldSchema>;
/** The reply part of a spec. */
export type ReplySpec = MappingSpec['reply'];
