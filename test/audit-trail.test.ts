/**
 * The audit trail: an AuditEvent for every access (including refusals and logins) and every claim state
 * change; operators search everything, each participant only its own records; ids only, no patient data.
 */
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { claimBundle, eventually, startTestGateway, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
let claimId: string;
beforeAll(async () => {
  gw = await startTestGateway();
  const answer = await gw.submit(claimBundle());
  claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
  await gw.waitForStatus(claimId, ['complete']);
});
afterAll(async () => {
  await gw?.stop();
});

async function audit(clientId: string, query: string): Promise<{ total: number; events: AuditEvent[]; raw: string }> {
  const answer = await gw.get(`/fhir/AuditEvent?${query}`, clientId);
  expect(answer.status).toBe(200);
  const bundle = answer.body as unknown as Bundle;
  return { total: bundle.total!, events: (bundle.entry ?? []).map((e) => e.resource as AuditEvent), raw: JSON.stringify(bundle) };
}

const codes = (events: AuditEvent[]) => events.map((e) => e.subtype?.[0]?.code);

describe('audit trail', () => {
  it('records the submission and every state change of a claim, for its provider and its insurer', async () => {
    const mine = await eventually(async () => {
      const found = await audit('demo-clinic', `entity=Claim/${claimId}&_count=100`);
      expect(codes(found.events)).toEqual(expect.arrayContaining(['operation', 'accepted', 'queued', 'complete']));
      return found;
    });
    const submission = mine.events.find((e) => e.subtype?.[0]?.code === 'operation')!;
    expect(submission).toMatchObject({
      type: { code: 'rest' }, action: 'E', outcome: '0',
      agent: [{ who: { identifier: { system: 'urn:passerelle:participant', value: 'demo-clinic' } }, altId: 'demo-clinic', requestor: true }],
      entity: [{ what: { reference: `Claim/${claimId}` } }],
    });
    expect(submission.agent[0]!.network?.address).toBeDefined();
    expect(mine.raw).not.toMatch(/M0001|Diop|Awa/); // ids only
    const insurer = await audit('demo-insurer', `entity=Claim/${claimId}`);
    expect(codes(insurer.events)).toEqual(expect.arrayContaining(['accepted', 'complete']));
    expect((await audit('demo-hospital', `entity=Claim/${claimId}`)).total).toBe(0);
  });

  it('records refused accesses: another provider probing the claim, and an unauthenticated call', async () => {
    expect((await gw.get(`/fhir/Claim/${claimId}`, 'demo-hospital')).status).toBe(404);
    expect((await fetch(`${gw.url}/fhir/Claim/${claimId}`)).status).toBe(401);
    const probe = await eventually(async () => {
      const found = await audit('demo-operator', `agent=demo-hospital&entity=Claim/${claimId}`);
      expect(found.total).toBeGreaterThan(0);
      return found.events[0]!;
    });
    expect(probe).toMatchObject({ outcome: '4', subtype: [{ code: 'read' }] });
    // The probed provider sees the attempt on its claim; the prober sees its own act.
    await eventually(async () => expect(codes((await audit('demo-clinic', `agent=demo-hospital`)).events)).toContain('read'));
    expect((await audit('demo-hospital', `agent=demo-hospital&entity=Claim/${claimId}`)).total).toBeGreaterThan(0);
    await eventually(async () => {
      const anonymous = (await audit('demo-operator', `entity=Claim/${claimId}&_count=200`)).events.filter((e) => e.agent[0]?.who?.display === 'unauthenticated');
      expect(anonymous.map((e) => e.outcome)).toContain('4');
    });
  });

  it('records logins, successful and failed', async () => {
    const failed = await fetch(`${gw.url}/auth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-clinic', client_secret: 'wrong' }) });
    expect(failed.status).toBe(401);
    await eventually(async () => {
      const logins = (await audit('demo-operator', '_count=200')).events.filter((e) => e.type.code === '110114');
      expect(logins.some((e) => e.outcome === '4')).toBe(true);
      expect(logins.some((e) => e.outcome === '0' && e.agent[0]?.who?.identifier?.value === 'demo-clinic')).toBe(true);
    });
  });

  it('filters by date and refuses bad parameters with an OperationOutcome', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect((await audit('demo-operator', `date=ge${future}`)).total).toBe(0);
    expect((await audit('demo-operator', `date=le${future}&_count=1`)).events).toHaveLength(1);
    expectOutcome(await gw.get('/fhir/AuditEvent?date=yesterday', 'demo-operator'), 400, 'search-parameter');
    expectOutcome(await gw.get('/fhir/AuditEvent?_count=100000', 'demo-operator'), 400, 'search-parameter');
  });
});
