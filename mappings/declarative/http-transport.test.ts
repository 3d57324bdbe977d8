/**
 * The http-json transport's error handling against a small local server standing in for a misbehaving
 * insurer (the happy path is tested against the sandbox's IPM face at integration).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { Bundle } from '@medplum/fhirtypes';
import { listenOnFreePort } from '../../test/http-server.js';
import { TransientDeliveryError, type DeliveryResult } from '../adapter.js';
import { mappingAdapter } from './adapter.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLAIM_ID = '7d4a1c2e-5b3f-4e8a-9c61-2f0b8d3e4a51';
const bundle = JSON.parse(readFileSync(`${ROOT}test/fixtures/claim-bundle-covered-member.json`, 'utf8').replaceAll('TODAY', '2026-03-14')) as Bundle;
const adapter = mappingAdapter({ defaultTimeoutMs: 5000 });

/** Serves `app` and delivers the claim to it. */
async function deliverTo(app: Express): Promise<DeliveryResult> {
  const server = await listenOnFreePort(app);
  try {
    return await adapter.submitClaim({
      claimId: CLAIM_ID, bundle, providerId: 'demo-clinic', idempotencyKey: CLAIM_ID, insurerId: 'demo-insurer',
      settings: { mapping: 'examples/ipm-json.mapping.json', memberSystem: 'urn:passerelle:demo-insurer:member', baseUrl: `${server.url}/demo-insurer/ipm/v1` },
    });
  } finally {
    await server.close();
  }
}

/** The TransientDeliveryError a delivery throws. */
async function transientOf(app: Express): Promise<TransientDeliveryError> {
  const err = await deliverTo(app).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TransientDeliveryError);
  return err as TransientDeliveryError;
}

function insurer(handler: express.RequestHandler): Express {
  const app = express();
  app.post('/demo-insurer/ipm/v1/claims', express.json(), handler);
  return app;
}

describe('http-json transport errors', () => {
  it('checks its settings', () => {
    const settings = { mapping: 'examples/ipm-json.mapping.json', memberSystem: 'urn:m', baseUrl: 'http://ipm.example/v1' };
    expect(() => adapter.checkSettings(settings)).not.toThrow();
    expect(() => adapter.checkSettings({ ...settings, baseUrl: 'ftp://ipm.example' })).toThrow('settings.baseUrl must be an http(s) URL');
    expect(() => adapter.checkSettings({ ...settings, apiKeyEnv: 'not a name' })).toThrow('settings.apiKeyEnv must be the name of an environment variable');
    expect(() => adapter.checkSettings({ ...settings, timeoutMs: 0 })).toThrow('settings.timeoutMs must be a positive number');
  });

  it('takes an unparseable body as transient', async () => {
    const err = await transientOf(insurer((_req, res) => void res.status(200).type('html').send('<html>maintenance</html>')));
    expect(err.message).toBe('IPM Démo answered HTTP 200 with a body that is not JSON');
  });

  it('takes a 503 as transient, with its Retry-After', async () => {
    const err = await transientOf(insurer((_req, res) => void res.status(503).set('Retry-After', '30').send('busy')));
    expect(err.message).toBe('IPM Démo answered HTTP 503');
    expect(err.retryAfterMs).toBe(30_000);
  });

  it('takes another 4xx as a final refusal carrying the insurer\'s error text', async () => {
    const result = await deliverTo(insurer((_req, res) => void res.status(422).json({ errors: [{ code: 'MEMBER_UNKNOWN', label: 'Numéro inconnu' }] })));
    expect(result).toEqual({
      kind: 'refused', httpStatus: 422,
      outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: 'MEMBER_UNKNOWN: Numéro inconnu' }] },
    });
    const plain = await deliverTo(insurer((_req, res) => void res.status(400).type('text').send('bad\u0000 request')));
    expect(plain).toMatchObject({ kind: 'refused', httpStatus: 400, outcome: { issue: [{ diagnostics: 'bad request' }] } });
  });

  it('takes a reply about another claim as transient', async () => {
    const err = await transientOf(insurer((req, res) => void res.json({ ...req.body, claimRef: 'another-claim', status: 'ACCEPTED' })));
    expect(err.message).toBe(`IPM Démo's answer cannot be read: the insurer answered about another claim (expected ${CLAIM_ID})`);
  });

  it('takes a reply with an unknown status as transient', async () => {
    const err = await transientOf(insurer((req, res) => void res.json({ claimRef: (req.body as { claimRef: string }).claimRef, status: 'MAYBE' })));
    expect(err.message).toContain('the reply\'s outcome "MAYBE" is not in the mapping\'s table');
  });

  it('takes an insurer that cannot be reached as transient', async () => {
    const server = await listenOnFreePort(express());
    await server.close();
    const err = await adapter.submitClaim({
      claimId: CLAIM_ID, bundle, providerId: 'demo-clinic', idempotencyKey: CLAIM_ID, insurerId: 'demo-insurer',
      settings: { mapping: 'examples/ipm-json.mapping.json', memberSystem: 'urn:passerelle:demo-insurer:member', baseUrl: server.url },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect((err as Error).message).toMatch(/^IPM Démo at http:\/\/127\.0\.0\.1:\d+ unreachable: fetch failed \(ECONNREFUSED\)$/);
  });

  it('answers undefined when the status endpoint does not know the claim', async () => {
    const app = express();
    const asked: string[] = [];
    app.get('/v1/claims/:claimRef', (req, res) => {
      asked.push(req.originalUrl);
      res.status(404).json({ message: 'unknown' });
    });
    const server = await listenOnFreePort(app);
    try {
      const found = await adapter.fetchClaimResponse!({
        claimId: 'a b/c', insurerId: 'demo-insurer', bundle,
        settings: { mapping: 'examples/ipm-json.mapping.json', memberSystem: 'urn:m', baseUrl: `${server.url}/v1` },
      });
      expect(found).toBeUndefined();
      expect(asked).toEqual(['/v1/claims/a%20b%2Fc']);
    } finally {
      await server.close();
    }
  });
});
