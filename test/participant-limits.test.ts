/**
 * Limits per participant: requests per minute (shared by all API processes through Redis; 429 with
 * Retry-After), request size (413) and entries per bundle (422), each from the participant's registry
 * entry, the others keeping the gateway's defaults.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { claimBundle, startTestGateway, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'passerelle-limits-'));
  const seed = join(dir, 'seed.json');
  writeFileSync(seed, JSON.stringify({ participants: [
    { id: 'busy-clinic', kind: 'provider', name: 'Clinique pressée', limits: { requestsPerMinute: 5 }, clients: [{ clientId: 'busy-clinic', secret: 'busy-clinic-secret' }] },
    { id: 'small-clinic', kind: 'provider', name: 'Petite clinique', limits: { maxBodyBytes: 4096, maxBundleEntries: 3 }, clients: [{ clientId: 'small-clinic', secret: 'small-clinic-secret' }] },
  ] }));
  gw = await startTestGateway({ env: { SEED_FILE: seed, TOKEN_RATE_LIMIT_PER_MINUTE: '6' } });
});
afterAll(async () => {
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('limits per participant', () => {
  it('answers 429 with Retry-After past the requests-per-minute limit, for that participant only', async () => {
    const path = '/fhir/Claim/00000000-0000-4000-8000-000000000000';
    for (let i = 0; i < 5; i++) expect((await gw.get(path, 'busy-clinic')).status).toBe(404);
    const limited = await gw.get(path, 'busy-clinic');
    expectOutcome(limited, 429, 'rate-limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await gw.get(path, 'demo-clinic')).status).toBe(404); // its own count
  });

  it('refuses a body over the participant size limit, and a bundle with more entries than it may send', async () => {
    const bundle = claimBundle(undefined, { provider: 'small-clinic' });
    expect((await gw.submit(bundle, 'small-clinic')).status).toBe(202); // 3 entries, ~2.6 KB
    const bigger = claimBundle(undefined, { provider: 'small-clinic' }) as Bundle & { entry: unknown[] };
    (bigger.entry[0] as { resource: { text?: unknown } }).resource.text = { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(4000)}</div>` };
    expectOutcome(await gw.submit(bigger, 'small-clinic'), 413, 'body-too-large');
    const more = claimBundle(undefined, { provider: 'small-clinic' }) as Bundle & { entry: unknown[] };
    more.entry.push({ fullUrl: 'urn:uuid:5b0c6f0e-3f1d-4b8e-9a55-0c1a2b3c4d99', resource: { resourceType: 'Practitioner', identifier: [{ system: 'urn:demo-clinic:staff', value: 'P-1' }], name: [{ family: 'Ndiaye' }] } });
    const [problem] = expectOutcome(await gw.submit(more, 'small-clinic'), 422, 'bundle-too-many-entries');
    expect(problem!.expression).toEqual(['Bundle.entry']);
    const ownFour = claimBundle() as Bundle & { entry: unknown[] }; // demo-clinic keeps the default limit (1000)
    ownFour.entry.push({ fullUrl: 'urn:uuid:5b0c6f0e-3f1d-4b8e-9a55-0c1a2b3c4d99', resource: { resourceType: 'Practitioner', identifier: [{ system: 'urn:demo-clinic:staff', value: 'P-1' }], name: [{ family: 'Ndiaye' }] } });
    expect((await gw.submit(ownFour, 'demo-clinic')).status).toBe(202);
  });

  it('slows down token requests from one address, before any secret is checked', async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 8 && !limited; i++) {
      const res = await fetch(`${gw.url}/auth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: `guess-${i}` }) });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(limited).toBeDefined();
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true); // wrong guesses, until the limit
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited!.json()) as { error: string }).error).toBe('temporarily_unavailable');
  });
});
