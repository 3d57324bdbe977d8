// The sandbox's insurers come from a seed file so integrators can add their own without touching code.
// Coverage periods are written relative to the current calendar year so the demo data never goes stale.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const yearOffset = z.number().int().min(-100).max(100);

const memberRangeSchema = z
  .object({
    /** Letters before the number, e.g. "M" for M0001. */
    prefix: z.string().regex(/^[A-Za-z-]*$/),
    /** Zero-padded width of the number part. */
    digits: z.number().int().min(1).max(12),
    from: z.number().int().min(0),
    to: z.number().int().min(0),
    /** Calendar years relative to the current one: 0 = this year, -1 = last year. */
    coverage: z.object({ startYearOffset: yearOffset, endYearOffset: yearOffset }),
    /** Plan code of the range's members (Coverage.class of type plan). */
    plan: z.string().min(1).max(64).default('STANDARD'),
  })
  .refine((r) => r.from <= r.to, { message: 'from must not exceed to' })
  .refine((r) => r.coverage.startYearOffset <= r.coverage.endYearOffset, {
    message: 'coverage.startYearOffset must not exceed endYearOffset',
  });

const insurerSeedSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  name: z.string().min(1),
  description: z.string().optional(),
  memberSystem: z.string().min(1),
  members: z.array(memberRangeSchema).min(1),
  payerSharePercent: z.number().int().min(0).max(100),
  excludedServiceCodes: z.array(z.string().min(1)),
  pendThreshold: z.number().nonnegative(),
  /**
   * Present: a pended claim of use "claim" above this total, without a document attached
   * (supportingInfo.valueAttachment), is held and the insurer asks the provider for the medical report
   * (a CommunicationRequest); it is adjudicated once a Communication with an attachment arrives.
   */
  informationThreshold: z.number().nonnegative().optional(),
  // XOF has no minor units; the rules round every amount to whole francs, so only XOF is accepted.
  currency: z.literal('XOF'),
  gatewayClient: z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) }),
  /** Present: requests to the IPM JSON API (sandbox/flat/) need the header X-API-Key: <apiKey>. */
  flat: z.strictObject({ apiKey: z.string().min(1) }).optional(),
  /** Present: the insurer also answers as an openIMIS FHIR API under /{id}/api/api_fhir_r4 (sandbox/openimis/). */
  openimis: z
    .object({
      username: z.string().min(1),
      password: z.string().min(1),
      /** Lifetime of the JWTs the login hands out, by the sandbox clock. */
      tokenTtlSeconds: z.number().int().min(1).max(2_592_000).default(300),
      /** Time between claim states (entered, checked, processed, valuated); 0 = valuated at once. */
      stepMs: z.number().int().min(0).max(86_400_000).default(2000),
    })
    .optional(),
});

export const sandboxSeedSchema = z.object({
  insurers: z
    .array(insurerSeedSchema)
    .min(1)
    .refine((list) => new Set(list.map((i) => i.id)).size === list.length, { message: 'insurer ids must be unique' }),
});

export type MemberRangeSeed = z.infer<typeof memberRangeSchema>;
export type InsurerSeed = z.infer<typeof insurerSeedSchema>;
/** The openIMIS face of an insurer, defaults filled in. */
export type OpenImisSeed = NonNullable<InsurerSeed['openimis']>;
export type SandboxSeed = z.infer<typeof sandboxSeedSchema>;
/** A seed as written, before defaults (such as a range's plan) are filled in. */
export type SandboxSeedInput = z.input<typeof sandboxSeedSchema>;

/**
 * Validates a seed object (already parsed JSON).
 * @throws Error listing every problem found, prefixed by `source` (a file path or "seed option").
 */
export function parseSeed(value: unknown, source = 'seed option'): SandboxSeed {
  const result = sandboxSeedSchema.safeParse(value);
  if (!result.success) {
    throw new Error(`Invalid sandbox seed (${source}):\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** Reads and validates a seed file. */
export function loadSeedFile(path: string): SandboxSeed {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read sandbox seed file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseSeed(json, path);
}

/**
 * Path of the bundled demo seed. The compiled code runs from dist/sandbox/ where tsc does not copy
 * JSON files, so the source folder is tried second.
 */
export function defaultSeedFile(): string {
  const candidates = ['./seed/demo-insurers.json', '../../sandbox/seed/demo-insurers.json'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}
