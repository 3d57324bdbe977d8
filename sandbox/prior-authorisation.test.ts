// Prior authorisation at the sandbox's FHIR face: a Claim with use "preauthorization" is adjudicated
// like a claim and, unless refused, carries a preAuthRef valid 30 days; a later claim carrying that
// reference is not pended for review, whatever its total.
import { readFileSync } from 'node:fs';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { startSandbox, type SandboxHandle } from './server.js';

const NOW = new Date('2025-06-15T10:00:00Z');
let now = NOW;
let sandbox: SandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, now: () => now, logger: pino({ level: 'silent' }), pendDelayMs: 60_000 });
});
afterAll(async () => {
  await sandbox?.close();
});

function bundle(name: string, change: (claim: Claim) => void): Bundle {
  const b = JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Bundle;
  change(b.entry![0]!.resource as Claim);
  return b;
}

async function submit(b: Bundle): Promise<ClaimResponse> {
  const res = await fetch(`${sandbox.url}/demo-insurer/fhir/Claim/$submit`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(b) });
  expect(res.status).toBe(200);
  return (await res.json()) as ClaimResponse;
}

describe('prior authorisation', () => {
  let preAuthRef: string;

  it('answers a preauthorization with a reference valid 30 days', async () => {
    const answer = await submit(bundle('claim-bundle-covered-member', (c) => { c.use = 'preauthorization'; c.id = 'pa-1'; }));
    expect(answer).toMatchObject({ use: 'preauthorization', outcome: 'complete', preAuthPeriod: { start: '2025-06-15', end: '2025-07-14' } });
    expect(answer.preAuthRef).toMatch(/^PA-[0-9A-F]{10}$/);
    preAuthRef = answer.preAuthRef!;
  });

  it('gives no reference when the request is refused', async () => {
    const answer = await submit(bundle('claim-bundle-unknown-member', (c) => { c.use = 'preauthorization'; c.id = 'pa-2'; }));
    expect(answer.outcome).toBe('error');
    expect(answer.preAuthRef).toBeUndefined();
  });

  it('adjudicates at once a claim above the review threshold that carries the reference', async () => {
    const authorised = await submit(bundle('claim-bundle-above-pend-threshold', (c) => { c.id = 'c-1'; c.insurance![0]!.preAuthRef = [preAuthRef]; }));
    expect(authorised.outcome).toBe('complete');
    const unknown = await submit(bundle('claim-bundle-above-pend-threshold', (c) => { c.id = 'c-2'; c.insurance![0]!.preAuthRef = ['PA-NOTGIVEN00']; }));
    expect(unknown.outcome).toBe('queued');
  });

  it('pends it again once the authorisation has lapsed', async () => {
    now = new Date('2025-07-15T10:00:00Z');
    const late = await submit(bundle('claim-bundle-above-pend-threshold', (c) => { c.id = 'c-3'; c.insurance![0]!.preAuthRef = [preAuthRef]; }));
    expect(late.outcome).toBe('queued');
  });
});
