/**
 * A callback receiver: the gateway POSTs each answer for your clinic (ClaimResponse, and information
 * requests and payments) to the callback URL registered for you. Each push is checked before it is
 * trusted, both ways the gateway signs it (docs/security.md, Signed callbacks):
 *
 * - Passerelle-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> with your callback secret;
 * - Passerelle-JWS: a detached ES256 JWS by the gateway's key, published at /.well-known/jwks.json.
 *
 * Answers: 204 taken (or already taken: same Passerelle-Delivery-Id), 401 forged (never retried),
 * 503 when the gateway's keys cannot be read right now (the gateway retries later).
 *
 *   CALLBACK_PORT=9090 CALLBACK_SECRET=... PASSERELLE_CLIENT_ID=my-clinic node examples/dist/callback-receiver.js
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, errors, flattenedVerify } from 'jose';
import { connectionFromEnv, runIfMain } from './passerelle.js';

/** What the receiver checks pushes against. */
export interface ReceiverOptions {
  readonly port: number;
  readonly host?: string;
  /** The callback secret registered with your callback URL. */
  readonly secret: string;
  /** Your participant id: the JWS's audience. */
  readonly participantId: string;
  /** The gateway's public keys: `${PASSERELLE_URL}/.well-known/jwks.json`. */
  readonly jwksUrl: string;
  /** Called once per delivery, after both signatures are checked. */
  readonly onPush: (resource: Record<string, unknown>, deliveryId: string) => void;
}

/** Whether the HMAC header signs these exact bytes with the secret, within 5 minutes of now. */
export function hmacValid(rawBody: Buffer, header: string, secret: string, now = Date.now() / 1000): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.`).update(rawBody).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * Whether the detached JWS is the gateway's signature of these bytes, for you, for this delivery.
 * Throws when the keys cannot be read (answer 503 then, so that the gateway retries).
 */
export async function jwsValid(rawBody: Buffer, jws: string, deliveryId: string, participantId: string, keys: KeySet): Promise<boolean> {
  const [encodedHeader, payload, signature, ...extra] = jws.split('.');
  if (!encodedHeader || payload !== '' || !signature || extra.length > 0) return false;
  try {
    const { protectedHeader: h = {} } = await flattenedVerify(
      { protected: encodedHeader, payload: rawBody.toString('base64url'), signature }, keys, { algorithms: ['ES256'] },
    );
    return h.aud === participantId && h['urn:passerelle:delivery-id'] === deliveryId
      && typeof h.iat === 'number' && Math.abs(Date.now() / 1000 - h.iat) <= 300;
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWSInvalid || err instanceof errors.JOSEAlgNotAllowed) return false;
    throw err;
  }
}

async function rawBodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the receiver; url is where it listens, close() stops it. */
export async function startCallbackReceiver(options: ReceiverOptions): Promise<{ url: string; close(): Promise<void> }> {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl));
  const seen = new Set<string>(); // in your system: a unique key on the delivery id in your database
  const server = createServer((req, res) => {
    void (async () => {
      const body = await rawBodyOf(req); // the exact bytes: verify before parsing, never re-serialise
      const deliveryId = req.headers['passerelle-delivery-id'] as string | undefined ?? '';
      try {
        const genuine = hmacValid(body, String(req.headers['passerelle-signature'] ?? ''), options.secret)
          && await jwsValid(body, String(req.headers['passerelle-jws'] ?? ''), deliveryId, options.participantId, keys);
        if (!genuine) return void res.writeHead(401).end();
      } catch {
        return void res.writeHead(503).end();
      }
      if (!seen.has(deliveryId)) {
        seen.add(deliveryId);
        options.onPush(JSON.parse(body.toString('utf8')) as Record<string, unknown>, deliveryId);
      }
      res.writeHead(204).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/passerelle/callback`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

runIfMain(import.meta.url, async () => {
  const connection = connectionFromEnv();
  const receiver = await startCallbackReceiver({
    port: Number(process.env.CALLBACK_PORT ?? 9090),
    secret: process.env.CALLBACK_SECRET ?? 'my-clinic-callback-secret',
    participantId: connection.clientId,
    jwksUrl: `${connection.url}/.well-known/jwks.json`,
    onPush: (resource, deliveryId) => console.log(`${deliveryId}: ${resource.resourceType} ${resource.outcome ?? resource.status ?? ''} ${resource.disposition ?? ''}`),
  });
  console.log(`Waiting for pushes on ${receiver.url} (Ctrl-C to stop)`);
});
