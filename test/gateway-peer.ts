// Test support for the sandbox's suites: the gateway as the sandbox sees it from outside (the sandbox is
// a separate system): an OAuth token endpoint and POST /fhir/ClaimResponse, recording what it receives.
import express from 'express';
import type { ClaimResponse } from '@medplum/fhirtypes';
import { listenOnFreePort } from './http-server.js';

/** What the stand-in gateway received, and how it answers. */
export interface GatewayPeer {
  readonly url: string;
  readonly tokenRequests: { contentType?: string; form: Record<string, string> }[];
  readonly posts: { status: number; authorization?: string; contentType?: string; idempotencyKey?: string; body: ClaimResponse }[];
  /** Statuses to answer to the next ClaimResponse posts (201 once empty). */
  readonly statuses: number[];
  /** Resolves with the first ClaimResponse the peer accepts. */
  readonly accepted: Promise<ClaimResponse>;
  close(): Promise<void>;
}

/** Starts the stand-in gateway on a free port. */
export async function startGatewayPeer(): Promise<GatewayPeer> {
  const tokenRequests: GatewayPeer['tokenRequests'] = [];
  const posts: GatewayPeer['posts'] = [];
  const statuses: number[] = [];
  let accept!: (response: ClaimResponse) => void;
  const accepted = new Promise<ClaimResponse>((resolve) => (accept = resolve));
  const app = express();
  app.post('/auth/token', express.urlencoded({ extended: false }), (req, res) => {
    tokenRequests.push({ contentType: req.get('content-type'), form: { ...req.body } });
    res.json({ access_token: `token-${tokenRequests.length}`, token_type: 'Bearer', expires_in: 3600 });
  });
  app.post('/fhir/ClaimResponse', express.json({ type: 'application/fhir+json' }), (req, res) => {
    const status = statuses.shift() ?? 201;
    const headers = { authorization: req.get('authorization'), contentType: req.get('content-type'), idempotencyKey: req.get('idempotency-key') };
    posts.push({ status, ...headers, body: req.body });
    res.status(status).json(req.body);
    if (status === 201) {
      accept(req.body as ClaimResponse);
    }
  });
  const { url, close } = await listenOnFreePort(app);
  return { url, tokenRequests, posts, statuses, accepted, close };
}
