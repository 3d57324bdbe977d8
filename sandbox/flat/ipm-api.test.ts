// The IPM JSON API over real HTTP: the sandbox's rules answered in the IPM's flat format, its checks,
// API key, claimRef idempotency, and pended claims decided later without any post to the gateway.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { startGatewayPeer } from '../../test/gateway-peer.js';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../server.js';

// Fixtures are dated 2025; the clock is pinned inside that year so "current year" means 2025.
const NOW = new Date('2025-06-15T10:00:00Z');
const API_KEY = 'demo-insurer-ipm-key';
const ACCEPTED = 'Claim accepted. IPM Démo pays 20000 XOF (80% of accepted items).';

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/flat/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

function sandboxOptions(overrides: Partial<SandboxOptions> = {}): SandboxOptions {
  return { port: 0, now: () => NOW, control: true, logger: pino({ level: 'silent' }), pendDelayMs: 3_600_000, ...overrides };
}

async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function ipmClient(base: () => string) {
  const url = (insurer: string, path: string): string => `${base()}/${insurer}/ipm/v1${path}`;
  return {
    post: (body: unknown, headers: Record<string, string> = {}, insurer = 'demo-insurer'): Promise<Reply> =>
      call(url(insurer, '/claims'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (claimRef: string, insurer = 'demo-insurer'): Promise<Reply> => call(url(insurer, `/claims/${claimRef}`), { headers: { 'x-api-key': API_KEY } }),
  };
}

describe('IPM JSON API', () => {
  let sandbox: SandboxHandle;
  const ipm = ipmClient(() => sandbox.url);

  beforeAll(async () => {
    sandbox = await startSandbox(sandboxOptions());
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
  });

  test('accepts a covered member claim: 80 % of each line covered, the rest is the patient share', async () => {
    const res = await ipm.post(fixture('ipm-claim-covered-member.json'));

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      claimRef: 'ipm-covered-member',
      ipmRef: expect.stringMatching(/^IPM-\d{6}$/),
      status: 'ACCEPTED',
      message: ACCEPTED,
      lines: [
        { lineNo: 1, amountClaimed: 15000, amountCovered: 12000, patientShare: 3000, rejectCode: null, rejectLabel: null },
        { lineNo: 2, amountClaimed: 10000, amountCovered: 8000, patientShare: 2000, rejectCode: null, rejectLabel: null },
      ],
      totals: { claimed: 25000, covered: 20000 },
      errors: [],
    });
  });

  test('gives each new claim the next ipmRef of the insurer', async () => {
    const first = await ipm.post(fixture('ipm-claim-covered-member.json'));
    const second = await ipm.post(fixture('ipm-claim-excluded-service.json'));

    const number = (reply: Reply): number => Number(String(reply.body.ipmRef).slice('IPM-'.length));
    expect(number(second)).toBe(number(first) + 1);
  });

  test('answers PARTIAL when some lines are excluded services, their amounts 0 with rejectCode EXCLUDED', async () => {
    const res = await ipm.post(fixture('ipm-claim-excluded-service.json'));

    expect(res.body).toMatchObject({
      status: 'PARTIAL',
      message: 'Claim partly accepted: 1 of 2 items rejected as excluded services. IPM Démo pays 12000 XOF (80% of accepted items).',
      lines: [
        { lineNo: 1, amountClaimed: 15000, amountCovered: 12000, patientShare: 3000, rejectCode: null, rejectLabel: null },
        { lineNo: 2, amountClaimed: 30000, amountCovered: 0, patientShare: 0, rejectCode: 'EXCLUDED', rejectLabel: 'Excluded service' },
      ],
      totals: { claimed: 45000, covered: 12000 },
      errors: [],
    });
  });

  test('answers REJECTED when every line is excluded, the reasons on the lines and no claim error', async () => {
    const res = await ipm.post(fixture('ipm-claim-all-excluded.json'));

    expect(res.body).toMatchObject({ status: 'REJECTED', message: 'Claim rejected: every item is an excluded service.', totals: { claimed: 50000, covered: 0 }, errors: [] });
    expect((res.body.lines as { rejectCode: string }[]).map((l) => l.rejectCode)).toEqual(['EXCLUDED', 'EXCLUDED']);
  });

  test('rejects an unknown member with MEMBER_UNKNOWN, no lines, the total claimed and nothing covered', async () => {
    const res = await ipm.post(fixture('ipm-claim-unknown-member.json'));

    expect(res.body).toMatchObject({
      claimRef: 'ipm-unknown-member',
      status: 'REJECTED',
      message: 'Member unknown to IPM Démo.',
      lines: [],
      totals: { claimed: 15000, covered: 0 },
      errors: [{ code: 'MEMBER_UNKNOWN', label: 'Member unknown to this insurer' }],
    });
  });

  test('rejects a lapsed or cancelled coverage with COVERAGE_INACTIVE', async () => {
    const lapsed = await ipm.post(fixture('ipm-claim-lapsed-coverage.json'));
    const cancel = await call(`${sandbox.url}/_control/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ insurer: 'demo-insurer', member: 'M0042', status: 'cancelled' }),
    });
    const cancelled = await ipm.post(fixture('ipm-claim-covered-member.json'));

    expect(lapsed.body).toMatchObject({
      status: 'REJECTED',
      message: 'Coverage not in force on 2025-03-14 (covered from 2024-01-01 to 2024-12-31).',
      lines: [],
      errors: [{ code: 'COVERAGE_INACTIVE', label: 'Coverage not in force on the date of service' }],
    });
    expect(cancel.status).toBe(201);
    expect(cancelled.body).toMatchObject({ status: 'REJECTED', message: 'Coverage cancelled (was 2025-01-01 to 2025-12-31).', errors: [{ code: 'COVERAGE_INACTIVE' }] });
  });

  test('answers each insurer under its own base path; one without an apiKey needs no X-API-Key', async () => {
    const claim = { ...fixture('ipm-claim-covered-member.json'), memberNumber: 'C0042' };
    const res = await call(`${sandbox.url}/demo-mutuelle/ipm/v1/claims`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(claim) });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ACCEPTED', totals: { claimed: 25000, covered: 12500 } });
  });

  test('answers 401 UNAUTHORIZED without the insurer X-API-Key, or with a wrong one', async () => {
    const missing = await call(`${sandbox.url}/demo-insurer/ipm/v1/claims/ipm-covered-member`);
    const wrong = await ipm.post(fixture('ipm-claim-covered-member.json'), { 'x-api-key': 'not-the-key' });

    for (const res of [missing, wrong]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'Missing or wrong X-API-Key.' } });
    }
    expect((await ipm.get('ipm-covered-member')).status).toBe(404); // the refused claim was not kept
  });

  test('answers 400 INVALID_REQUEST listing every field at fault, unknown top-level fields included', async () => {
    const res = await ipm.post(fixture('ipm-claim-invalid-fields.json'));

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/^Invalid claim: patientName is not a known field, memberNumber is required, .*\.$/),
        fields: ['patientName', 'memberNumber', 'visitDate', 'totalAmount', 'lines[0].actCode', 'lines[1].quantity', 'lines[1].amount', 'lines[1].lineNo'],
      },
    });
    expect((await ipm.get('ipm-invalid-fields')).status).toBe(404);
  });

  test('answers 400 INVALID_JSON for a body that is not JSON, 415 for another media type', async () => {
    const notJson = await ipm.post('{"claimRef":');
    const text = await ipm.post('claimRef=1', { 'content-type': 'text/plain' });

    expect(notJson.status).toBe(400);
    expect(notJson.body).toEqual({ error: { code: 'INVALID_JSON', message: 'The request body is not valid JSON.' } });
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  test('GET /claims/{claimRef} serves the stored answer, or 404 NOT_FOUND; unknown insurers and routes are 404 too', async () => {
    const posted = await ipm.post(fixture('ipm-claim-covered-member.json'));

    const found = await ipm.get('ipm-covered-member');
    const missing = await ipm.get('never-sent');

    expect(found.status).toBe(200);
    expect(found.body).toEqual(posted.body);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await ipm.get('ipm-covered-member', 'no-such-insurer')).body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await call(`${sandbox.url}/demo-insurer/ipm/v1/members`)).body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  test('a claimRef posted again gets its stored answer whatever the body, marked Idempotent-Replayed', async () => {
    const first = await ipm.post(fixture('ipm-claim-covered-member.json'), { 'idempotency-key': 'ipm-k1' });
    const changed = { ...fixture('ipm-claim-excluded-service.json'), claimRef: 'ipm-covered-member' };
    const again = await ipm.post(changed, { 'idempotency-key': 'ipm-k1' });

    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const stats = await call(`${sandbox.url}/_control/stats`);
    expect(stats.body).toMatchObject({ received: { 'ipm-k1': 2 }, adjudicated: { 'ipm-k1': 1 } });
  });
});

describe('IPM JSON API, pended claims', () => {
  test('answers PENDING above the threshold, then GET shows the decided answer with the same ipmRef; nothing is posted', async () => {
    const gateway = await startGatewayPeer();
    const sandbox = await startSandbox(sandboxOptions({ pendDelayMs: 20, gatewayUrl: gateway.url }));
    const ipm = ipmClient(() => sandbox.url);
    try {
      const pending = await ipm.post(fixture('ipm-claim-above-pend-threshold.json'));
      expect(pending.body).toMatchObject({
        status: 'PENDING',
        message: 'Claim pended for manual review: total 600000 XOF is above 500000 XOF. The final answer will follow.',
        lines: [],
        totals: { claimed: 600000, covered: 0 },
        errors: [],
      });

      let decided = await ipm.get('ipm-above-pend-threshold');
      const deadline = Date.now() + 10_000;
      while (decided.body.status === 'PENDING' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        decided = await ipm.get('ipm-above-pend-threshold');
      }
      expect(decided.body).toMatchObject({
        ipmRef: pending.body.ipmRef,
        status: 'ACCEPTED',
        lines: [
          { lineNo: 1, amountClaimed: 500000, amountCovered: 400000, patientShare: 100000 },
          { lineNo: 2, amountClaimed: 100000, amountCovered: 80000, patientShare: 20000 },
        ],
        totals: { claimed: 600000, covered: 480000 },
      });
      // A FHIR claim pended after it is posted to the gateway; by the time its answer arrives, an IPM
      // answer sent the same way would have arrived too.
      const fhirClaim = readFileSync(new URL('../fixtures/claim-bundle-above-pend-threshold.json', import.meta.url), 'utf8');
      await fetch(`${sandbox.url}/demo-insurer/fhir/Claim/$submit`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: fhirClaim });
      await gateway.accepted;
      expect(gateway.posts.map((p) => p.body.request?.reference)).toEqual(['Claim/claim-above-pend-threshold']);
    } finally {
      await sandbox.close();
      await gateway.close();
    }
  });
});
