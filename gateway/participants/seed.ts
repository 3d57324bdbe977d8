/**
 * Participants from a seed file: the demo's documented participants, or a deployment's own file
 * (SEED_FILE). Seeding is an upsert, so it runs at every start. A seed file for production gives
 * secretHash (scrypt, see auth/secrets.ts), never a secret in clear.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ClientRegistration, ClientStore } from '../auth/clients.js';
import { SCOPES_BY_KIND } from '../auth/tokens.js';
import type { ParticipantRegistry } from './registry.js';

const jwkSchema = z.object({ kty: z.enum(['RSA', 'EC']), kid: z.string().min(1) }).loose()
  .refine((k) => !('d' in k), 'a registered key must be a public key (no "d")');

const clientSchema = z.object({
  clientId: z.string().min(1),
  secret: z.string().min(8).optional(),
  secretHash: z.string().startsWith('scrypt$').optional(),
  /** Public keys for private_key_jwt (SMART Backend Services): a JWK set, or the URL where the client publishes it. */
  jwks: z.object({ keys: z.array(jwkSchema).min(1) }).optional(),
  jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
  scopes: z.array(z.string()).optional(),
}).refine((c) => c.secret || c.secretHash || c.jwks || c.jwksUrl, 'a client needs keys (jwks or jwksUrl), or a secret or secretHash');

const participantSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'letters, digits, - and . only (it is a FHIR id)'),
  kind: z.enum(['provider', 'insurer', 'operator']),
  name: z.string().min(1),
  status: z.enum(['active', 'suspended']).optional(),
  adapter: z.string().optional(),
  adapterSettings: z.record(z.string(), z.unknown()).optional(),
  callbackUrl: z.url().optional(),
  callbackSecret: z.string().min(16).optional(),
  delivery: z.object({ concurrency: z.number().int().min(1).max(1000).optional(), maxPerSecond: z.number().positive().max(10_000).optional(), answerDeadlineMinutes: z.number().positive().max(525_600).optional() }).optional(),
  clients: z.array(clientSchema).default([]),
}).refine((p) => p.kind !== 'insurer' || p.adapter, 'an insurer needs an adapter')
  .refine((p) => !p.callbackUrl || p.callbackSecret, 'a callbackUrl needs a callbackSecret to sign pushes');

export const seedSchema = z.object({ participants: z.array(participantSchema) });
export type Seed = z.infer<typeof seedSchema>;

/**
 * Reads a seed file, replacing {{name}} placeholders with the given values. With clearSecretsAllowed
 * false (production), a client given a secret in clear is refused: give its secretHash.
 */
export function readSeedFile(path: string, values: Readonly<Record<string, string>> = {}, clearSecretsAllowed = true): Seed {
  const text = readFileSync(path, 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
  const parsed = seedSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`Seed file ${path} is invalid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const clear = parsed.data.participants.flatMap((p) => p.clients.filter((c) => c.secret).map((c) => c.clientId));
  if (!clearSecretsAllowed && clear.length > 0) {
    throw new Error(`Seed file ${path} gives secrets in clear for ${clear.join(', ')}: in production give secretHash instead ` +
      '(npm run build, then: printf %s "$SECRET" | npm run --silent passerelle -- hash-secret)');
  }
  return parsed.data;
}

/** Registers every participant and client of a seed. */
export async function applySeed(seed: Seed, deps: { registry: ParticipantRegistry; clients: ClientStore; checkAdapter: (name: string | undefined, settings: Record<string, unknown>) => void }): Promise<void> {
  for (const { clients, ...participant } of seed.participants) {
    if (participant.kind === 'insurer') deps.checkAdapter(participant.adapter, participant.adapterSettings ?? {});
    await deps.registry.upsert(participant);
    for (const client of clients) {
      await deps.clients.register({ ...client, jwks: client.jwks as ClientRegistration['jwks'], participantId: participant.id, scopes: client.scopes ?? SCOPES_BY_KIND[participant.kind] });
    }
  }
}
