// Login and bearer tokens as openIMIS answers them: POST login/ trades the user's name and password
// for a JWT, and every other route wants `Authorization: Bearer <token>`, refusing with Django REST
// framework's 401 `{ "detail": ... }` bodies (not OperationOutcomes).
import type { SandboxContext } from '../context.js';
import type { InsurerSeed, OpenImisSeed } from '../seed.js';
import type { JsonAnswer } from './http.js';

/** An insurer with an openIMIS face. */
export type OpenImisInsurer = InsurerSeed & { readonly openimis: OpenImisSeed };

/** The insurer with this id when it has an openIMIS face, else undefined. */
export function openImisInsurer(ctx: SandboxContext, insurerId: string): OpenImisInsurer | undefined {
  const insurer = ctx.registry.get(insurerId);
  return insurer?.openimis ? (insurer as OpenImisInsurer) : undefined;
}

const DETAIL = {
  badCredentials: 'Unable to log in with provided credentials.',
  noCredentials: 'Authentication credentials were not provided.',
  expired: 'Signature has expired.',
  invalid: 'Error decoding signature.',
} as const;

function unauthorized(detail: string): JsonAnswer {
  // DRF sends WWW-Authenticate with every 401 (without it, it would answer 403).
  return { status: 401, body: { detail }, headers: { 'WWW-Authenticate': 'Bearer realm="api"' } };
}

/** POST login/: a token for the seed's user, or 401 for any other (or missing) credentials. */
export async function login(ctx: SandboxContext, insurer: OpenImisInsurer, body: unknown): Promise<JsonAnswer> {
  const { username, password } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { openimis } = insurer;
  if (username !== openimis.username || password !== openimis.password) {
    return { status: 401, body: { detail: DETAIL.badCredentials } };
  }
  const issued = await ctx.openimis.tokens.issue(insurer.id, openimis.username, openimis.tokenTtlSeconds, ctx.now());
  ctx.stats.countOpenImisLogin(insurer.id);
  return { status: 200, body: issued };
}

/**
 * Checks the Authorization header: undefined when the bearer token is valid for this insurer, else
 * the 401 to answer.
 */
export async function authenticate(ctx: SandboxContext, insurer: OpenImisInsurer, authorization: string | undefined): Promise<JsonAnswer | undefined> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) {
    return unauthorized(DETAIL.noCredentials);
  }
  const check = await ctx.openimis.tokens.check(insurer.id, token, ctx.now());
  return check === 'valid' ? undefined : unauthorized(check === 'expired' ? DETAIL.expired : DETAIL.invalid);
}
