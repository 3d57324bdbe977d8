/**
 * Your own clinic on the sandbox: the demo operator registers it (the operator API, /admin), with a
 * callback URL and its secret, and an OAuth client. In production the operator does this when you are
 * onboarded, with your public keys instead of a secret (docs/security.md).
 *
 *   CLINIC_ID=my-clinic CALLBACK_URL=http://127.0.0.1:9090/passerelle/callback node examples/dist/sandbox-clinic.js
 */
import type { JWK } from 'jose';
import { connectionFromEnv, runIfMain, tokenWithSecret, type Connection } from './passerelle.js';

/** A provider to register: its callback, and either a client secret (sandbox) or public keys. */
export interface ClinicRegistration {
  readonly id: string;
  readonly name: string;
  readonly callbackUrl?: string;
  readonly callbackSecret?: string;
  readonly clientSecret?: string;
  readonly publicJwks?: { keys: JWK[] };
}

async function admin(connection: Connection, token: string, method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${connection.url}${path}`, {
    method, body: JSON.stringify(body), headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Registers the clinic and its client with the operator's credentials (`operator`: demo-operator in the sandbox). */
export async function registerClinic(operator: Connection, clinic: ClinicRegistration): Promise<void> {
  const token = await tokenWithSecret(operator);
  await admin(operator, token, 'POST', '/admin/participants', {
    id: clinic.id, kind: 'provider', name: clinic.name,
    ...(clinic.callbackUrl ? { callbackUrl: clinic.callbackUrl, callbackSecret: clinic.callbackSecret } : {}),
  });
  await admin(operator, token, 'POST', `/admin/participants/${clinic.id}/clients`, {
    clientId: clinic.id, ...(clinic.clientSecret ? { secret: clinic.clientSecret } : {}), ...(clinic.publicJwks ? { jwks: clinic.publicJwks } : {}),
  });
}

runIfMain(import.meta.url, async () => {
  const id = process.env.CLINIC_ID ?? 'my-clinic';
  await registerClinic({ ...connectionFromEnv(), clientId: 'demo-operator', clientSecret: 'demo-operator-secret' }, {
    id, name: `Clinic ${id}`, clientSecret: `${id}-secret`,
    callbackUrl: process.env.CALLBACK_URL ?? 'http://127.0.0.1:9090/passerelle/callback',
    callbackSecret: process.env.CALLBACK_SECRET ?? `${id}-callback-secret`,
  });
  console.log(`Registered ${id}: client ${id} / ${id}-secret`);
});
