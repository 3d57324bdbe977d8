import type { ClaimResponse } from '@medplum/fhirtypes';
import { listenOnFreePort } from '../test/http-server.js';
import express from 'express';
import { pino } from 'pino';
import { DeliveryError, GatewayClient } from './gateway-client.js';

const response = { resourceType: 'ClaimResponse', id: 'response-1', outcome: 'complete' } as ClaimResponse;

/** A gateway answering each ClaimResponse post with the next status of a script. */
async function scriptedGateway(statuses: number[]): Promise<{ url: string; posts: number[]; close: () => Promise<void> }> {
  const posts: number[] = [];
  const app = express();
  app.post('/auth/token', (_req, res) => {
    res.json({ access_token: 'token', token_type: 'Bearer', expires_in: 3600 });
  });
  app.post('/fhir/ClaimResponse', (_req, res) => {
    const status = statuses.shift() ?? 201;
    posts.push(status);
    res.status(status).end();
  });
  const { url, close } = await listenOnFreePort(app);
  return { url, posts, close };
}

function client(gatewayUrl: string): GatewayClient {
  return new GatewayClient({
    gatewayUrl,
    clientId: 'demo-insurer',
    clientSecret: 'demo-insurer-secret',
    policy: { attempts: 3, baseDelayMs: 5, requestTimeoutMs: 2000 },
    logger: pino({ level: 'silent' }),
  });
}

describe('gateway client', () => {
  test('gives up after the last attempt on repeated 5xx', async () => {
    const gateway = await scriptedGateway([503, 502, 500, 201]);
    try {
      const delivery = client(gateway.url).postClaimResponse(response, new AbortController().signal);
      await expect(delivery).rejects.toMatchObject({ name: 'DeliveryError', retryable: true });
      expect(gateway.posts).toEqual([503, 502, 500]);
    } finally {
      await gateway.close();
    }
  });

  test('does not retry a permanent refusal (4xx other than 401 and 429)', async () => {
    const gateway = await scriptedGateway([422]);
    try {
      const delivery = client(gateway.url).postClaimResponse(response, new AbortController().signal);
      await expect(delivery).rejects.toBeInstanceOf(DeliveryError);
      expect(gateway.posts).toEqual([422]);
    } finally {
      await gateway.close();
    }
  });

  test('retries when the gateway is unreachable, then reports it', async () => {
    const gateway = await scriptedGateway([]);
    await gateway.close(); // the port is now closed: connection refused
    const delivery = client(gateway.url).postClaimResponse(response, new AbortController().signal);
    await expect(delivery).rejects.toThrow(/gateway unreachable/);
  });
});
