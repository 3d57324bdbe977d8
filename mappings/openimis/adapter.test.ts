/**
 * The openIMIS adapter against the sandbox's openIMIS face over real HTTP: login and re-login, the claim
 * in openIMIS's dialect, states read back as they advance, the duplicate-code path of a retried
 * delivery, and failures kept transient.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { startSandbox, type SandboxHandle } from '../../sandbox/server.js';
import { MappingError, TransientDeliveryError, type DeliveryResult } from '../adapter.js';
import { openImisAdapter } from './adapter.js';
import { forgetSessions } from './session.js';

let sandbox: SandboxHandle;
let now = Date.now();
const adapter = openImisAdapter(5000);
const settings = () => ({ baseUrl: `${sandbox.url}/demo-openimis/api/api_fhir_r4`, usernameEnv: 'OI_TEST_USER', passwordEnv: 'OI_TEST_PASSWORD' });

beforeAll(async () => {
  process.env.OI_TEST_USER = 'passerelle';
  process.env.OI_TEST_PASSWORD = 'demo-openimis-password';
  sandbox = await startSandbox({ port: 0, control: true, now: () => new Date(now), logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => forgetSessions());

/** The openIMIS fixture for today, with a fresh claim code (openIMIS codes: at most 8 characters). */
function bundle(changes: { chfId?: string; codes?: string[] } = {}): Bundle {
  const today = new Date(now).toISOString().slice(0, 10);
  const b = JSON.parse(readFileSync(new URL('../../test/fixtures/claim-bundle-openimis.json', import.meta.url), 'utf8').replaceAll('TODAY', today)) as Bundle;
  const claim = b.entry![0]!.resource as Claim;
  claim.id = crypto.randomUUID();
  claim.identifier![0]!.value = `T${randomBytes(4).toString('hex').slice(0, 7).toUpperCase()}`;
  if (changes.chfId) claim.patient.identifier!.value = changes.chfId;
  changes.codes?.forEach((code, i) => { claim.item![i]!.productOrService!.coding![0]!.code = code; });
  return b;
}

const deliver = (b: Bundle) => adapter.submitClaim({ claimId: (b.entry![0]!.resource as Claim).id!, bundle: b, providerId: 'demo-clinic', idempotencyKey: 'k', insurerId: 'demo-openimis', settings: settings() });
const answered = (result: DeliveryResult) => {
  if (result.kind !== 'answered') throw new Error(`refused: ${JSON.stringify(result.outcome)}`);
  return result;
};
const logins = async () => ((await (await fetch(`${sandbox.url}/_control/stats`)).json()) as { openimisLogins: Record<string, number> }).openimisLogins['demo-openimis'] ?? 0;
const advance = (ms: number) => { now += ms; };

describe('openIMIS adapter', () => {
  it('logs in, posts the claim, and reads it as openIMIS moves it from entered to valuated', async () => {
    const b = bundle();
    const first = answered(await deliver(b));
    expect(first.claimResponse.outcome).toBe('queued');
    expect(first.insurerReference).toMatch(/^[0-9a-f-]{36}$/);
    const ask = () => adapter.fetchClaimResponse!({ claimId: 'c', insurerId: 'demo-openimis', settings: settings(), bundle: b, insurerReference: first.insurerReference });
    advance(2000); // checked
    expect((await ask())!.outcome).toBe('queued');
    advance(4000); // valuated: 90 % of 15 000 and of 2 × 12 000
    const final = (await ask())!;
    expect(final.outcome).toBe('complete');
    expect(final.item!.map((i) => [i.itemSequence, i.adjudication.find((a) => a.category.coding![0]!.code === 'benefit')!.amount!.value])).toEqual([[1, 13500], [2, 21600]]);
  });

  it('reads rejections: an excluded item makes the claim partial, a lapsed insuree rejects it', async () => {
    const partial = bundle({ codes: ['CONS01', 'COSM01'] });
    const taken = answered(await deliver(partial));
    const lapsed = bundle({ chfId: '070707950' });
    const takenLapsed = answered(await deliver(lapsed));
    advance(6000);
    const ask = (b: Bundle, ref?: string) => adapter.fetchClaimResponse!({ claimId: 'c', insurerId: 'demo-openimis', settings: settings(), bundle: b, insurerReference: ref });
    const one = (await ask(partial, taken.insurerReference))!;
    expect(one.outcome).toBe('partial');
    expect(one.item!.find((i) => i.itemSequence === 2)!.adjudication[1]!.reason!.coding![0]!.code).toBe('2');
    const two = (await ask(lapsed, takenLapsed.insurerReference))!;
    expect(two.outcome).toBe('error');
    expect(two.error!.map((e) => e.code.coding![0]!.code)).toEqual(['3', '3']);
  });

  it('carries on with the claim openIMIS already has when a retried delivery meets the duplicate code', async () => {
    const b = bundle();
    const first = answered(await deliver(b));
    const again = answered(await deliver(b));
    expect(again.insurerReference).toBe(first.insurerReference);
    // Polled without the reference (a delivery whose answer was lost), the claim is found by its code.
    const found = await adapter.fetchClaimResponse!({ claimId: 'c', insurerId: 'demo-openimis', settings: settings(), bundle: b });
    expect(found?.outcome).toBeDefined();
  });

  it('logs in again when openIMIS stops taking its token, and once per token otherwise', async () => {
    await deliver(bundle());
    await deliver(bundle());
    const before = await logins();
    expect((await fetch(`${sandbox.url}/_control/openimis/revoke-tokens`, { method: 'POST' })).status).toBe(204);
    answered(await deliver(bundle()));
    expect(await logins() - before).toBe(1);
  });

  it('logs in again when its token has expired by openIMIS\'s clock', async () => {
    await deliver(bundle());
    const before = await logins();
    advance(301_000); // past the 300 s the face's tokens live; the gateway's own clock has not moved
    answered(await deliver(bundle()));
    expect(await logins() - before).toBe(1);
  });

  it('keeps failures transient: wrong credentials, an unreachable server', async () => {
    process.env.OI_TEST_PASSWORD = 'wrong';
    await expect(deliver(bundle())).rejects.toThrow(TransientDeliveryError);
    process.env.OI_TEST_PASSWORD = 'demo-openimis-password';
    await expect(adapter.submitClaim({ claimId: 'c', bundle: bundle(), providerId: 'demo-clinic', idempotencyKey: 'k', insurerId: 'x', settings: { ...settings(), baseUrl: 'http://127.0.0.1:9/api' } }))
      .rejects.toThrow(/unreachable/);
  });

  it('refuses a claim openIMIS cannot take before sending it, with coded issues', async () => {
    const b = bundle();
    (b.entry![0]!.resource as Claim).careTeam = [{ sequence: 1, provider: { reference: 'Practitioner/x' } }];
    await expect(deliver(b)).rejects.toThrow(MappingError);
    const issues = await adapter.checkClaim!({ insurerId: 'demo-openimis', providerId: 'demo-clinic', settings: settings(), bundle: b });
    expect(issues.map((i) => i.expression)).toEqual(['Claim.careTeam']);
  });

  it('passes openIMIS refusals on: an unknown insuree is a 4xx refusal', async () => {
    const result = await deliver(bundle({ chfId: '999999999' }));
    expect(result.kind).toBe('refused');
  });
});
