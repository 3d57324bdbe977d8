/**
 * Participants from a seed file: the demo's documented participants, or a deployment's own file
 * (SEED_FILE). Seeding is an upsert, so it runs at every start. A seed file for production gives
 * secretHash (scrypt, see auth/secrets.ts), never a secret in clear.
 */
import { readFileSync } from 'node:fs';
import { problemsOf, seedSchema, type Seed } from './participant-schema.js';
import type { ClientRegistration, ClientStore } from '../auth/clients.js';
import { defaultScopes } from '../auth/tokens.js';
import type { ParticipantRegistry } from './registry.js';
import type { InsurerRegistration } from '../../mappings/index.js';


/**
 * Reads a seed file, replacing {{name}} placeholders with the given values. With clearSecretsAllowed
 * false (production), a client given a secret in clear is refused: give its secretHash.
 */
export function readSeedFile(path: string, values: Readonly<Record<string, string>> = {}, clearSecretsAllowed = true): Seed {
  const text = readFileSync(path, 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
  const parsed = seedSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`Seed file ${path} is invalid:\n${problemsOf(parsed.error).map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
  }
  const clear = parsed.data.participants.flatMap((p) => p.clients.filter((c) => c.secret).map((c) => c.clientId));
  if (!clearSecretsAllowed && clear.length > 0) {
    throw new Error(`Seed file ${path} gives secrets in clear for ${clear.join(', ')}: in production give secretHash instead ` +
      '(npm run build, then: printf %s "$SECRET" | npm run --silent passerelle -- hash-secret)');
  }
  return parsed.data;
}

/** Registers every participant and client of a seed. */
export async function applySeed(seed: Seed, deps: { registry: ParticipantRegistry; clients: ClientStore; checkAdapter: (registration: InsurerRegistration) => void }): Promise<void> {
  for (const { clients, ...participant } of seed.participants) {
    if (participant.kind === 'insurer') deps.checkAdapter(participant);
    await deps.registry.upsert(participant);
    for (const client of clients) {
      await deps.clients.register({ ...client, jwks: client.jwks as ClientRegistration['jwks'], participantId: participant.id, scopes: client.scopes ?? defaultScopes(participant.kind) });
    }
  }
}
