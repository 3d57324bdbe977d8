// Fault rules aimed at the IPM JSON API (operation "ipm/claims") over real HTTP: error statuses in the
// IPM's format, and each corruption of the 200 reply.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { startSandbox, type SandboxHandle } from '../server.js';

const NOW = new Date('2025-06-15T10:00:00Z');
const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'demo-insurer-ipm-key' };
const claim = readFileSync(new URL('../fixtures/flat/ipm-claim-covered-member.json', import.meta.url), 'utf8');

describe('IPM JSON API faults', () => {
  let sandbox: SandboxHandle;
  const claimsUrl = (): string => `${sandbox.url}/demo-insurer/ipm/v1/claims`;
  const post = (): Promise<Response> => fetch(claimsUrl(), { method: 'POST', headers: HEADERS, body: claim });
  const get = (): Promise<Response> => fetch(`${claimsUrl()}/ipm-covered-member`, { headers: HEADERS });
  const addFault = (rule: object): Promise<Response> =>
    fetch(`${sandbox.url}/_control/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, now: () => NOW, control: true, logger: pino({ level: 'silent' }) });
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
  });

  test('a status rule answers that status in the IPM format and keeps nothing; the next request is handled', async () => {
    expect((await addFault({ insurer: 'demo-insurer', operation: 'ipm/claims', status: 429 })).status).toBe(201);

    const throttled = await post();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(await throttled.json()).toEqual({ error: { code: 'FAULT_INJECTED', message: 'Fault injected by the sandbox control API (HTTP 429).' } });
    expect((await get()).status).toBe(404);

    expect((await post()).status).toBe(200);
    expect(await (await fetch(`${sandbox.url}/_control/stats`)).json()).toMatchObject({ faultsServed: 1 });
  });

  test('"unparseable" answers 200 with an HTML maintenance page; the claim was still adjudicated and kept', async () => {
    await addFault({ operation: 'ipm/claims', reply: 'unparseable' });

    const res = await post();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe('<html>maintenance</html>');
    expect(await (await get()).json()).toMatchObject({ claimRef: 'ipm-covered-member', status: 'ACCEPTED' });
  });

  test('"missing-fields" answers 200 JSON without status and lines', async () => {
    await addFault({ operation: 'ipm/claims', reply: 'missing-fields' });

    const res = await post();
    const body = (await res.json()) as Record<string, unknown>;

    expect(res.status).toBe(200);
    expect(body).toMatchObject({ claimRef: 'ipm-covered-member', totals: { claimed: 25000, covered: 20000 } });
    expect(body).not.toHaveProperty('status');
    expect(body).not.toHaveProperty('lines');
  });

  test('"unknown-claim" answers the answer with the claimRef of another claim, on GET too', async () => {
    await post();
    await addFault({ operation: 'ipm/claims', reply: 'unknown-claim', count: 2 });

    const replies = [await get(), await post()];

    for (const res of replies) {
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ status: 'ACCEPTED', totals: { claimed: 25000, covered: 20000 } });
      expect(body.claimRef).toMatch(/^[A-Za-z0-9-]{1,64}$/);
      expect(body.claimRef).not.toBe('ipm-covered-member');
    }
  });

  test('rules without an operation stay on the FHIR $submit routes', async () => {
    await addFault({ status: 503 });

    expect((await post()).status).toBe(200);
    expect(await (await fetch(`${sandbox.url}/_control/faults`)).json()).toEqual({ faults: [{ count: 1, status: 503 }] });
  });

  test('refuses a reply rule on another operation, or with a status', async () => {
    expect((await addFault({ operation: 'Claim/$submit', reply: 'unparseable' })).status).toBe(400);
    expect((await addFault({ operation: 'ipm/claims', reply: 'unparseable', status: 503 })).status).toBe(400);
    expect((await addFault({ operation: 'ipm/claims', reply: 'garbled' })).status).toBe(400);
  });
});
