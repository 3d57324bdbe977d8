/**
 * The generic FHIR adapter's eligibility side, against a small insurer server over real HTTP: the
 * insurer's $submit and Coverage search, its refusals, its garbage, and the paged pull of changed
 * Coverage (whose next links must stay on the insurer's server).
 */
import express from 'express';
import type { Bundle } from '@medplum/fhirtypes';
import { listenOnFreePort } from '../../test/http-server.js';
import { TransientDeliveryError, type CoveragePage, type EligibilityQuery } from '../adapter.js';
import { fhirAdapter } from './adapter.js';

let server: { url: string; close(): Promise<void> };
let answer: (req: express.Request, res: express.Response) => void = (_req, res) => void res.status(500).end();
const seen: express.Request[] = [];

beforeAll(async () => {
  const app = express();
  app.use(express.json({ type: '*/*' }));
  app.all('/fhir/*path', (req, res) => {
    seen.push(req);
    answer(req, res);
  });
  server = await listenOnFreePort(app);
});
afterAll(() => server.close());
beforeEach(() => {
  seen.length = 0;
});

const adapter = fhirAdapter(2000);
const query = (method: EligibilityQuery['method']): EligibilityQuery => ({
  insurerId: 'ipm', settings: { baseUrl: `${server.url}/fhir` }, method, idempotencyKey: 'request-1',
  bundle: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'CoverageEligibilityRequest' } as never }] },
  member: { system: 'urn:ipm:member', value: 'M1' },
});
const fhir = (res: express.Response, status: number, body: unknown) => void res.status(status).type('application/fhir+json').send(JSON.stringify(body));
const coverage = (id: string, lastUpdated: string) => ({ resourceType: 'Coverage', id, meta: { lastUpdated }, status: 'active', identifier: [{ system: 'urn:ipm:member', value: id }] });

describe('fhir adapter: live eligibility', () => {
  it("posts the request Bundle to $submit with the idempotency key and returns the insurer's answer", async () => {
    answer = (_req, res) => fhir(res, 200, { resourceType: 'CoverageEligibilityResponse', outcome: 'complete' });
    const result = await adapter.checkEligibility!(query('submit'));
    expect(result).toEqual({ kind: 'response', response: { resourceType: 'CoverageEligibilityResponse', outcome: 'complete' } });
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.path).toBe('/fhir/CoverageEligibilityRequest/$submit');
    expect(seen[0]!.get('idempotency-key')).toBe('request-1');
    expect((seen[0]!.body as Bundle).entry?.[0]?.resource?.resourceType).toBe('CoverageEligibilityRequest');
  });

  it('searches Coverage by the beneficiary identifier and keeps only Coverage', async () => {
    answer = (_req, res) => fhir(res, 200, { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: coverage('M1', '2026-01-01T00:00:00Z') }, { resource: { resourceType: 'Patient' } }] });
    const result = await adapter.checkEligibility!(query('coverage-search'));
    expect(result.kind === 'coverages' && result.coverages.map((c) => c.id)).toEqual(['M1']);
    expect(seen[0]!.query['beneficiary:identifier']).toBe('urn:ipm:member|M1');
  });

  it('returns a 4xx as a refusal with the insurer outcome', async () => {
    answer = (_req, res) => fhir(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'no such plan' }] });
    expect(await adapter.checkEligibility!(query('submit'))).toMatchObject({ kind: 'refused', httpStatus: 400, outcome: { issue: [{ diagnostics: 'no such plan' }] } });
  });

  it.each([
    ['a 500', (_req: express.Request, res: express.Response) => fhir(res, 500, {})],
    ['another resource', (_req: express.Request, res: express.Response) => fhir(res, 200, { resourceType: 'Patient' })],
    ['not JSON', (_req: express.Request, res: express.Response) => void res.status(200).type('text/html').send('<html>maintenance</html>')],
  ])('throws a transient error on %s', async (_case, handler) => {
    answer = handler;
    await expect(adapter.checkEligibility!(query('submit'))).rejects.toBeInstanceOf(TransientDeliveryError);
  });

  it('throws a transient error when a Coverage search answers something else than a Bundle', async () => {
    answer = (_req, res) => fhir(res, 200, { resourceType: 'Bundle', entry: 'nope' });
    await expect(adapter.checkEligibility!(query('coverage-search'))).rejects.toBeInstanceOf(TransientDeliveryError);
  });

  it('gives up at the timeout of its settings', async () => {
    answer = (_req, res) => void setTimeout(() => fhir(res, 200, { resourceType: 'CoverageEligibilityResponse', outcome: 'complete' }), 1000);
    const slow = { ...query('submit'), settings: { baseUrl: `${server.url}/fhir`, timeoutMs: 100 } };
    await expect(adapter.checkEligibility!(slow)).rejects.toThrow(/timed out|abort/i);
  });
});

describe('fhir adapter: changed Coverage', () => {
  async function pull(since?: Date): Promise<CoveragePage[]> {
    const pages: CoveragePage[] = [];
    for await (const page of adapter.fetchChangedCoverage!({ insurerId: 'ipm', settings: { baseUrl: `${server.url}/fhir` }, since, pageSize: 2 })) pages.push(page);
    return pages;
  }

  it('follows next links page by page, with the beneficiaries, from the cursor', async () => {
    answer = (req, res) => {
      const page = req.query.page === '2' ? 2 : 1;
      fhir(res, 200, {
        resourceType: 'Bundle', type: 'searchset',
        entry: [{ resource: coverage(`M${page}`, '2026-02-01T00:00:00Z') }, { resource: { resourceType: 'Patient', id: `p${page}` }, search: { mode: 'include' } }],
        link: page === 1 ? [{ relation: 'next', url: `${server.url}/fhir/Coverage?page=2` }] : [],
      });
    };
    const pages = await pull(new Date('2026-01-15T00:00:00Z'));
    expect(pages.map((p) => [p.coverages.map((c) => c.id), p.patients.map((p) => p.id)])).toEqual([[['M1'], ['p1']], [['M2'], ['p2']]]);
    expect(seen[0]!.query).toMatchObject({ _lastUpdated: 'gt2026-01-15T00:00:00.000Z', _count: '2', _include: 'Coverage:beneficiary' });
  });

  it("refuses a next link that leaves the insurer's server", async () => {
    answer = (_req, res) => fhir(res, 200, { resourceType: 'Bundle', type: 'searchset', entry: [], link: [{ relation: 'next', url: 'http://169.254.169.254/latest/meta-data' }] });
    await expect(pull()).rejects.toThrow(/leaves its server/);
    expect(seen).toHaveLength(1);
  });

  it('throws a transient error when the insurer fails', async () => {
    answer = (_req, res) => fhir(res, 503, {});
    await expect(pull()).rejects.toBeInstanceOf(TransientDeliveryError);
  });
});

describe('fhir adapter: claims', () => {
  it('retries a claim answered 200 with an unreadable body (a maintenance page), never takes it as a refusal', async () => {
    answer = (_req, res) => void res.status(200).type('text/html').send('<html>maintenance</html>');
    await expect(adapter.submitClaim({ claimId: 'c1', bundle: { resourceType: 'Bundle', type: 'collection' }, providerId: 'p', idempotencyKey: 'c1', insurerId: 'ipm', settings: { baseUrl: `${server.url}/fhir` } }))
      .rejects.toBeInstanceOf(TransientDeliveryError);
  });
});
