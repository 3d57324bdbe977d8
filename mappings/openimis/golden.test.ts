/**
 * Golden files of the openIMIS adapter's inbound direction: ClaimResponses as openIMIS's FHIR module
 * shapes them (captured from the sandbox's openIMIS face with a pinned clock; UPDATE_GOLDEN=1 captures
 * them again) and the gateway ClaimResponse each becomes. The outbound golden file is claim-out.test.ts's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Bundle, Claim, ClaimResponse } from '@medplum/fhirtypes';
import { startSandbox } from '../../sandbox/server.js';
import { toOpenImisClaim } from './claim-out.js';
import { fromOpenImisResponse } from './response-in.js';
import { openImisSettings } from './settings.js';

const CASES = {
  entered: { codes: ['CONS01', 'PHA01'], chfId: '070707081', afterMs: 0 },
  valuated: { codes: ['CONS01', 'PHA01'], chfId: '070707081', afterMs: 6000 },
  'valuated-one-line-rejected': { codes: ['CONS01', 'COSM01'], chfId: '070707081', afterMs: 6000 },
  rejected: { codes: ['CONS01', 'PHA01'], chfId: '070707950', afterMs: 6000 },
} as const;
type Case = keyof typeof CASES;

const golden = (name: string) => new URL(`./golden/${name}.json`, import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(golden(name), 'utf8')) as T;
const write = (name: string, value: unknown) => writeFileSync(golden(name), `${JSON.stringify(value, null, 2)}\n`);

function claimBundle(c: Case): Bundle {
  const text = readFileSync(new URL('../../test/fixtures/claim-bundle-openimis.json', import.meta.url), 'utf8').replaceAll('TODAY', '2026-03-02');
  const bundle = JSON.parse(text) as Bundle;
  const claim = bundle.entry![0]!.resource as Claim;
  claim.patient.identifier!.value = CASES[c].chfId;
  CASES[c].codes.forEach((code, i) => { claim.item![i]!.productOrService!.coding![0]!.code = code; });
  claim.identifier![0]!.value = `G${Object.keys(CASES).indexOf(c)}000001`;
  return bundle;
}

/** Captures openIMIS's answers from the sandbox face (only with UPDATE_GOLDEN=1). */
async function capture(): Promise<void> {
  let now = new Date('2026-03-02T09:00:00Z').getTime();
  const sandbox = await startSandbox({ port: 0, now: () => new Date(now), logger: pino({ level: 'silent' }) });
  try {
    const base = `${sandbox.url}/demo-openimis/api/api_fhir_r4`;
    const { token } = (await (await fetch(`${base}/login/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'passerelle', password: 'demo-openimis-password' }) })).json()) as { token: string };
    const auth = { Authorization: `Bearer ${token}` };
    const settings = openImisSettings({ baseUrl: base, usernameEnv: 'U', passwordEnv: 'P' });
    const start = now;
    for (const c of Object.keys(CASES) as Case[]) {
      now = start;
      const claim = toOpenImisClaim(claimBundle(c), settings).claim!;
      const created = (await (await fetch(`${base}/Claim/`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(claim) })).json()) as { id: string };
      now = start + CASES[c].afterMs;
      write(`openimis-response-${c}`, await (await fetch(`${base}/ClaimResponse/${created.id}/`, { headers: auth })).json());
    }
  } finally {
    await sandbox.close();
  }
}

describe('openIMIS answers, golden files', () => {
  beforeAll(async () => {
    if (process.env.UPDATE_GOLDEN || !existsSync(golden('openimis-response-entered'))) await capture();
  });

  it.each(Object.keys(CASES) as Case[])('%s', (c) => {
    const claim = claimBundle(c).entry![0]!.resource as Claim;
    const mapped = { ...fromOpenImisResponse(read(`openimis-response-${c}`), claim), created: '2026-03-02T09:00:00.000Z' } as ClaimResponse;
    if (process.env.UPDATE_GOLDEN) write(`gateway-response-${c}`, mapped);
    expect(mapped).toEqual(read(`gateway-response-${c}`));
  });
});
