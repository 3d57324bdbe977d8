/**
 * What every example shares: where the gateway is, an access token, a fhir-kit-client Client that
 * carries it, the kit's example bundles, and readable errors. It imports nothing from the gateway's own
 * code: copy it into your billing system's integration as a starting point (it needs fhir-kit-client
 * and jose, both ESM only, and Node 20).
 *
 * Environment (the same names as the `passerelle` CLI):
 * - PASSERELLE_URL: the gateway's base URL (default http://127.0.0.1:8080, the demo of `npm start`);
 * - PASSERELLE_CLIENT_ID / PASSERELLE_CLIENT_SECRET: your OAuth client (default the demo clinic);
 * - SANDBOX_URL: the sandbox insurer, for its control API (default http://127.0.0.1:8081).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Client, type FhirResource } from 'fhir-kit-client';
import { importJWK, SignJWT, type JWK } from 'jose';

/** Where the gateway is and who you are. */
export interface Connection {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly sandboxUrl: string;
}

/** The connection given by the environment, with the demo's defaults. */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): Connection {
  return {
    url: (env.PASSERELLE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, ''),
    clientId: env.PASSERELLE_CLIENT_ID ?? 'demo-clinic',
    clientSecret: env.PASSERELLE_CLIENT_SECRET ?? 'demo-clinic-secret',
    sandboxUrl: (env.SANDBOX_URL ?? 'http://127.0.0.1:8081').replace(/\/$/, ''),
  };
}

interface TokenAnswer {
  readonly access_token?: string;
  readonly expires_in?: number;
  readonly error?: string;
  readonly error_description?: string;
}

/** Posts a token request (OAuth2 client credentials) and returns the access token. */
async function tokenRequest(url: string, form: Record<string, string>): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${url}/auth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', ...form }) });
  } catch (err) {
    throw new Error(`Cannot reach the gateway at ${url}: is it running? (${(err as Error).message})`, { cause: err });
  }
  const answer = (await res.json()) as TokenAnswer;
  if (!answer.access_token) throw new Error(`No token: ${answer.error ?? res.status} ${answer.error_description ?? ''}`.trim());
  return answer.access_token;
}

/** An access token with a client secret (the sandbox and the demo; off by default in production). Valid 5 minutes. */
export async function tokenWithSecret(connection: Connection): Promise<string> {
  return tokenRequest(connection.url, { client_id: connection.clientId, client_secret: connection.clientSecret });
}

/**
 * An access token with a private key (SMART Backend Services, private_key_jwt: what production asks).
 * The public half is registered for your client (docs/security.md); `kid` names it.
 */
export async function tokenWithPrivateKey(url: string, clientId: string, privateJwk: JWK & { kid: string }): Promise<string> {
  const alg = privateJwk.kty === 'RSA' ? 'RS384' : 'ES384';
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: 'JWT' })
    .setIssuer(clientId).setSubject(clientId)
    .setAudience(`${url}/auth/token`)
    .setIssuedAt().setExpirationTime('4m')
    .sign(await importJWK(privateJwk, alg));
  return tokenRequest(url, {
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
}

/** A fhir-kit-client Client on the gateway's FHIR API, carrying the token. */
export function fhirClient(connection: Connection, token: string): Client {
  return new Client({ baseUrl: `${connection.url}/fhir`, bearerToken: token });
}

/** What fhir-kit-client attaches to an HTTP error. */
interface HttpFailure {
  readonly response?: { readonly status?: number; readonly data?: unknown };
}

/** The HTTP status of a failed fhir-kit-client call, if the gateway answered. */
export function httpStatus(err: unknown): number | undefined {
  return (err as HttpFailure).response?.status;
}

interface Issue {
  readonly severity?: string;
  readonly diagnostics?: string;
  readonly expression?: string[];
  readonly details?: { readonly coding?: Array<{ readonly code?: string }> };
}

/** The gateway error code of each issue of a failed call's OperationOutcome (docs/errors.md). */
export function errorCodes(err: unknown): string[] {
  const data = (err as HttpFailure).response?.data as { issue?: Issue[] } | undefined;
  return (data?.issue ?? []).map((i) => i.details?.coding?.[0]?.code ?? 'unknown');
}

/** A readable line per issue: HTTP status, severity, gateway code, FHIRPath and message. Branch on codes, never on messages. */
export function describeError(err: unknown): string {
  const failure = err as HttpFailure;
  if (!failure.response) return (err as Error).message;
  const issues = (failure.response.data as { issue?: Issue[] } | undefined)?.issue ?? [];
  const lines = issues.map((i) => `  ${i.severity} ${i.details?.coding?.[0]?.code ?? ''} ${i.expression?.[0] ?? ''} ${i.diagnostics ?? ''}`);
  return [`HTTP ${failure.response.status}`, ...lines].join('\n');
}

const bundleDir = new URL('../bundles/', import.meta.url);

/**
 * One of the kit's example bundles (examples/bundles/<name>.json), its dates set to today and its
 * invoice number made unique: the gateway recognises a claim sent again by Claim.identifier, and
 * answers it with the first answer. Other placeholders (ORIGINAL_CLAIM, PREAUTH_REF...) are replaced
 * from `values`.
 */
export function exampleBundle(name: string, values: Record<string, string> = {}): FhirResource {
  let text = readFileSync(new URL(`${name}.json`, bundleDir), 'utf8');
  const all: Record<string, string> = { TODAY: new Date().toISOString().slice(0, 10), INVOICE: `FAC-${randomUUID()}`, MESSAGE_ID: randomUUID(), ...values };
  for (const [placeholder, value] of Object.entries(all)) text = text.replaceAll(placeholder, value);
  return JSON.parse(text) as FhirResource;
}

const PROCESSING_STATUS = 'https://fhir.passerelle.sn/StructureDefinition/claim-processing-status';

/** The gateway's processing status of a Claim read back: accepted, queued, pended, complete, partial, error, failed, cancelled. */
export function processingStatus(claim: FhirResource): string | undefined {
  const extensions = (claim.extension ?? []) as Array<{ url: string; valueCode?: string }>;
  return extensions.find((e) => e.url === PROCESSING_STATUS)?.valueCode;
}

/** A ClaimResponse, as far as the examples read it. */
export interface ClaimAnswer extends FhirResource {
  readonly id: string;
  readonly outcome?: string;
  readonly disposition?: string;
  readonly preAuthRef?: string;
  readonly total?: Array<{ category: { coding?: Array<{ code?: string }> }; amount: { value?: number; currency?: string } }>;
  readonly error?: Array<{ code: { coding?: Array<{ code?: string }> } }>;
}

/** A total of a ClaimResponse by category (submitted, benefit...). */
export function totalOf(answer: ClaimAnswer, category: string): number | undefined {
  return answer.total?.find((t) => t.category.coding?.some((c) => c.code === category))?.amount.value;
}

/** The entries of a searchset Bundle. */
export function entries<T extends FhirResource = FhirResource>(bundle: FhirResource): T[] {
  return ((bundle.entry ?? []) as Array<{ resource: T }>).map((e) => e.resource);
}

/** Runs main when the file is run with node (not when a test imports it), and reports errors readably. */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((err: unknown) => {
    console.error(describeError(err));
    process.exitCode = 1;
  });
}
