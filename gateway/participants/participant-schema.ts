/**
 * What may be said about a participant, for seed files and for the operator API alike. Strict: an
 * unknown or server-owned field (status, organization, endpoints, timestamps…) is refused, never
 * silently taken or dropped, so mass assignment is impossible.
 */
import { z } from 'zod';
import { eligibilitySettingsSchema } from '../eligibility/settings.js';

const jwkSchema = z.object({ kty: z.enum(['RSA', 'EC']), kid: z.string().min(1) }).loose()
  .refine((k) => !('d' in k), 'a registered key must be a public key (no "d")');

/** An OAuth client: keys for private_key_jwt (a JWK set, or its URL), and/or a secret or its hash. */
export const clientSchema = z.strictObject({
  clientId: z.string().regex(/^[A-Za-z0-9\-._~]{1,128}$/, 'letters, digits and -._~ only'),
  secret: z.string().min(8).optional(),
  secretHash: z.string().startsWith('scrypt$').optional(),
  jwks: z.strictObject({ keys: z.array(jwkSchema).min(1).max(10) }).optional(),
  jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
  scopes: z.array(z.string()).optional(),
}).refine((c) => c.secret || c.secretHash || c.jwks || c.jwksUrl, 'a client needs keys (jwks or jwksUrl), or a secret or secretHash');

/** Fields of a participant its registration may set. */
const editable = {
  name: z.string().min(1).max(200),
  adapter: z.string().optional(),
  adapterSettings: z.record(z.string(), z.unknown()).optional(),
  /**
   * Insurers: their profile pack versions (profiles/<pack>/<version>) and the date each takes effect;
   * the base pack applies to everyone (docs/profiles.md).
   */
  profilePacks: z.array(z.strictObject({
    pack: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a pack id: lower-case letters, digits and -'),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a version such as 1.0.0'),
    from: z.iso.date().or(z.iso.datetime({ offset: true })).optional(),
  })).max(20).optional(),
  callbackUrl: z.url({ protocol: /^https?$/ }).optional(),
  callbackSecret: z.string().min(16).optional(),
  /** Pushes to this participant are encrypted (JWE) to the "enc" key its client registered. */
  encryptPayloads: z.boolean().optional(),
  delivery: z.strictObject({
    concurrency: z.number().int().min(1).max(1000).optional(),
    maxPerSecond: z.number().positive().max(10_000).optional(),
    answerDeadlineMinutes: z.number().positive().max(525_600).optional(),
    pollIntervalSeconds: z.number().int().min(1).max(86_400).optional(),
  }).optional(),
  /** Insurers: how their member registry is reached for eligibility (docs/eligibility.md); unset: not checked. */
  eligibility: eligibilitySettingsSchema.optional(),
  limits: z.strictObject({
    requestsPerMinute: z.number().int().min(1).max(1_000_000).optional(),
    maxBodyBytes: z.number().int().min(1024).max(100 * 1024 * 1024).optional(),
    maxBundleEntries: z.number().int().min(1).max(100_000).optional(),
  }).optional(),
};

const identity = {
  id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'letters, digits, - and . only (it is a FHIR id)'),
  kind: z.enum(['provider', 'insurer', 'operator']),
};

type Checked = { kind?: string; adapter?: string; callbackUrl?: string; callbackSecret?: string; eligibility?: unknown };
const rules = <T extends z.ZodType<Checked>>(schema: T) => schema
  .refine((p) => p.kind !== 'insurer' || p.adapter, 'an insurer needs an adapter')
  .refine((p) => p.kind === 'insurer' || !p.eligibility, 'only an insurer has eligibility settings')
  .refine((p) => !p.callbackUrl || p.callbackSecret, 'a callbackUrl needs a callbackSecret to sign pushes');

/** A participant in a seed file: identity, editable fields, status and clients. */
export const seedParticipantSchema = rules(z.strictObject({
  ...identity, ...editable, status: z.enum(['active', 'suspended']).optional(), clients: z.array(clientSchema).default([]),
}));

/** A participant created through the operator API: identity and editable fields (status is the API's own). */
export const newParticipantSchema = rules(z.strictObject({ ...identity, ...editable }));

/** An update through the operator API: the editable fields (id and kind never change). */
export const participantUpdateSchema = z.strictObject(editable);

export const seedSchema = z.strictObject({ participants: z.array(seedParticipantSchema) });
export type Seed = z.infer<typeof seedSchema>;

/** Readable problems of a failed parse: "path: message". */
export function problemsOf(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => {
    const unknown = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')}: not accepted here)` : '';
    return { path: i.path.join('.'), message: `${i.message}${unknown}` };
  });
}
