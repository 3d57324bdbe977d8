// Claims on the openIMIS face over HTTP: entered, then checked, processed and valuated as a pinned
// sandbox clock moves by the seed's stepMs (2 s for demo-openimis); rejections, 400s and searches.
import { readFileSync } from 'node:fs';
import type { Bundle, Claim, ClaimResponse, ClaimResponseItem, OperationOutcome } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { defaultSeedFile, loadSeedFile } from '../seed.js';
import { startSandbox, type SandboxHandle } from '../server.js';

// Fixtures are dated 2025; the clock is pinned inside that year so "this year" means 2025.
const START = new Date('2025-06-15T10:00:00Z');
const STEP_MS = 2000;
const CREDENTIALS = { username: 'passerelle', password: 'demo-openimis-password' };
const CLAIM_STATUS_SYSTEM = 'https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/claim-status';
const REASON_SYSTEM = 'https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/claim-rejection-reasons';

function fixture(name: string): Claim {
  return JSON.parse(readFileSync(new URL(`../fixtures/openimis/${name}`, import.meta.url), 'utf8')) as Claim;
}

interface Answer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** [category code, reason code, amount, quantity] of each adjudication of an item. */
function adjudications(item: ClaimResponseItem | undefined): [string?, string?, number?, number?][] {
  return (item?.adjudication ?? []).map((a) => [a.category.coding?.[0]?.code, a.reason?.coding?.[0]?.code, a.amount?.value, a.value]);
}

/** [status code, amount] of each total. */
function totals(response: ClaimResponse): [string?, number?][] {
  return (response.total ?? []).map((t) => [t.category.coding?.[0]?.code, t.amount.value]);
}

/** The code of each item's claim-item-reference, in the order of the ClaimResponse. */
function itemCodes(response: ClaimResponse): (string | undefined)[] {
  return (response.item ?? []).map((i) => i.extension?.[0]?.valueReference?.identifier?.value);
}

describe('openIMIS face: claims', () => {
  let sandbox: SandboxHandle;
  let now = START;
  let bearer = '';
  const api = (): string => `${sandbox.url}/demo-openimis/api/api_fhir_r4`;
  const at = (steps: number, extraMs = 0): Date => new Date(START.getTime() + steps * STEP_MS + extraMs);

  async function call<T>(path: string, init: RequestInit = {}): Promise<Answer<T>> {
    const res = await fetch(`${api()}${path}`, { ...init, headers: { authorization: `Bearer ${bearer}`, ...init.headers } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  function submit<T = ClaimResponse>(claim: unknown, contentType = 'application/fhir+json'): Promise<Answer<T>> {
    return call<T>('/Claim/', { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify(claim) });
  }

  async function read(id: string): Promise<ClaimResponse> {
    const res = await call<ClaimResponse>(`/ClaimResponse/${id}/`);
    expect(res.status).toBe(200);
    return res.body;
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, now: () => now, control: true, logger: pino({ level: 'silent' }) });
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    now = START;
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
    const login = await fetch(`${api()}/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CREDENTIALS) });
    bearer = ((await login.json()) as { token: string }).token;
  });

  test('a covered insuree\'s claim is entered (201, Location), then checked, processed and valuated step by step', async () => {
    const entered = await submit(fixture('claim-covered-insuree.json'));

    expect(entered.status).toBe(201);
    const id = entered.body.id as string;
    expect(entered.headers.get('location')).toBe(`${api()}/ClaimResponse/${id}/`);
    expect(entered.body).toMatchObject({ resourceType: 'ClaimResponse', status: 'active', use: 'claim', outcome: 'queued', created: '2025-06-15' });
    // Medication (PHA01) first, then the service (CONS01), renumbered.
    expect(itemCodes(entered.body)).toEqual(['PHA01', 'CONS01']);
    expect(entered.body.item?.map((i) => i.itemSequence)).toEqual([1, 2]);
    expect(adjudications(entered.body.item?.[0])).toEqual([['2', '0', 2500, 4]]);
    expect(totals(entered.body)).toEqual([['2', 25000]]);

    now = at(1, -1);
    expect((await read(id)).outcome).toBe('queued');

    now = at(1);
    const checked = await read(id);
    expect(checked.outcome).toBe('partial');
    expect(totals(checked)).toEqual([['2', 25000], ['4', 25000]]);

    now = at(2);
    const processed = await read(id);
    expect(processed.outcome).toBe('partial');
    expect(totals(processed)).toEqual([['2', 25000], ['4', 25000], ['8', 25000]]);

    now = at(3);
    const valuated = await read(id);
    expect(valuated.outcome).toBe('complete');
    // 90 %: PHA01 2 500 × 4 → 9 000; CONS01 15 000 → 13 500.
    expect(adjudications(valuated.item?.[0])).toEqual([['2', '0', 2500, 4], ['4', '0', 2500, 4], ['8', '0', 2500, 4], ['16', '0', 9000, 4]]);
    expect(adjudications(valuated.item?.[1])).toEqual([['2', '0', 15000, 1], ['4', '0', 15000, 1], ['8', '0', 15000, 1], ['16', '0', 13500, 1]]);
    expect(totals(valuated)).toEqual([['2', 25000], ['4', 25000], ['8', 25000], ['16', 22500]]);

    now = at(30);
    expect(totals(await read(id))).toEqual(totals(valuated));
  });

  test('the ClaimResponse is shaped as openIMIS builds it: identifiers, type, patient, insurer, request, codings', async () => {
    now = new Date(START.getTime() - 3 * STEP_MS); // so it is valuated at START
    const id = (await submit(fixture('claim-covered-insuree.json'))).body.id as string;
    now = START;
    const response = await read(id);
    const idType = (code: string) => ({ coding: [{ system: 'https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers', code }] });

    expect(response.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.identifier).toEqual([
      { type: idType('UUID'), value: id },
      { type: idType('Code'), value: 'CLM00081' },
    ]);
    expect(response.type).toEqual({ coding: [{ system: 'https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/claim-visit-type', code: 'O', display: 'Other' }] });
    // v5 UUID of urn:passerelle:demo-openimis:insuree:070707081 in the URL namespace.
    const insuree = 'a1a613b8-f3c0-54e4-8fb7-7c87692fcb33';
    expect(response.patient).toEqual({ reference: `Patient/${insuree}`, type: 'Patient', identifier: { type: idType('UUID'), value: insuree } });
    expect(response.insurer).toEqual({ reference: 'openIMIS' });
    expect(response.request).toEqual({ reference: `Claim/${id}`, type: 'Claim', identifier: { type: idType('UUID'), value: id } });
    expect(response.total?.[3]).toEqual({
      category: { coding: [{ system: CLAIM_STATUS_SYSTEM, code: '16', display: 'valuated' }] },
      amount: { value: 22500, currency: 'XOF' },
    });
    expect(response.item?.[0]?.extension).toEqual([fixture('claim-covered-insuree.json').item?.[1]?.extension?.[0]]);
    expect(response.item?.[0]?.adjudication?.[0]).toEqual({
      category: { coding: [{ system: CLAIM_STATUS_SYSTEM, code: '2', display: 'entered' }] },
      reason: { coding: [{ system: REASON_SYSTEM, code: '0', display: 'ACCEPTED' }] },
      amount: { value: 2500, currency: 'XOF' },
      value: 4,
    });
  });

  test('valuated line amounts are rounded to whole francs, halves up', async () => {
    const claim = fixture('claim-covered-insuree.json');
    const medication = claim.item?.[1];
    if (!medication) {
      throw new Error('fixture without its Medication line');
    }
    medication.unitPrice = { value: 1255, currency: 'XOF' }; // × 3 × 90 % = 3 388.5
    medication.quantity = { value: 3 };
    const id = (await submit(claim)).body.id as string;

    now = at(3);
    const valuated = await read(id);
    expect(adjudications(valuated.item?.[0])[3]).toEqual(['16', '0', 3389, 3]);
    expect(totals(valuated)[3]).toEqual(['16', 3389 + 13500]);
  });

  test('an insuree covered last year only: rejected at the check, every line NO PRODUCT FOUND, no totals', async () => {
    const id = (await submit(fixture('claim-lapsed-insuree.json'))).body.id as string;

    now = at(1);
    const rejected = await read(id);
    expect(rejected.outcome).toBe('complete'); // openIMIS's mapping: status 1 is "complete"
    expect(rejected.total).toBeUndefined();
    expect(rejected.item?.map(adjudications)).toEqual([[['1', '3', 2500, 4]], [['1', '3', 15000, 1]]]);
    expect(rejected.item?.[0]?.adjudication?.[0]?.category.coding?.[0]?.display).toBe('rejected');
    expect(rejected.item?.[0]?.adjudication?.[0]?.reason?.coding?.[0]?.display).toBe('NO PRODUCT FOUND');

    now = at(3);
    expect((await read(id)).item?.map(adjudications)).toEqual(rejected.item?.map(adjudications));
  });

  test('an insuree cancelled after entry is rejected at the check; the decision then stays', async () => {
    const id = (await submit(fixture('claim-covered-insuree.json'))).body.id as string;
    const cancel = await fetch(`${sandbox.url}/_control/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ insurer: 'demo-openimis', member: '070707081', status: 'cancelled' }),
    });
    expect(cancel.status).toBe(201);

    now = at(1);
    expect(adjudications((await read(id)).item?.[0])).toEqual([['1', '3', 2500, 4]]);
    await fetch(`${sandbox.url}/_control/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ insurer: 'demo-openimis', member: '070707081', status: 'active' }),
    });
    now = at(3);
    expect(adjudications((await read(id)).item?.[0])).toEqual([['1', '3', 2500, 4]]);
  });

  test('an excluded item is rejected NOT IN PRICE LIST at the check, the others go on to valuated', async () => {
    const entered = await submit(fixture('claim-excluded-service.json'));
    const id = entered.body.id as string;
    expect(itemCodes(entered.body)).toEqual(['PHA01', 'CONS01', 'COSM01']);
    expect(adjudications(entered.body.item?.[2])).toEqual([['2', '0', 30000, 1]]);

    now = at(3);
    const valuated = await read(id);
    expect(valuated.outcome).toBe('complete');
    expect(adjudications(valuated.item?.[2])).toEqual([['1', '2', 30000, 1]]);
    expect(valuated.item?.[2]?.adjudication?.[0]?.reason?.coding?.[0]?.display).toBe('NOT IN PRICE LIST');
    expect(adjudications(valuated.item?.[1])[3]).toEqual(['16', '0', 13500, 1]);
    // Claimed counts every line (openIMIS adds rejected lines to it); the others accepted lines only.
    expect(totals(valuated)).toEqual([['2', 55000], ['4', 25000], ['8', 25000], ['16', 22500]]);
  });

  test('every item excluded: the claim is rejected at the check', async () => {
    const id = (await submit(fixture('claim-all-items-excluded.json'))).body.id as string;

    now = at(1);
    const rejected = await read(id);
    expect(rejected.total).toBeUndefined();
    expect(rejected.item?.map(adjudications)).toEqual([[['1', '2', 30000, 1]], [['1', '2', 20000, 1]]]);
  });

  test('a Claim with many problems gets one 400 OperationOutcome listing every one', async () => {
    const res = await submit<OperationOutcome>(fixture('claim-with-every-problem.json'));

    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.map((i) => [i.code, i.expression?.[0]])).toEqual([
      ['required', 'Claim.identifier'],
      ['required', 'Claim.patient.identifier'],
      ['invalid', 'Claim.provider.identifier'],
      ['required', 'Claim.billablePeriod.start'],
      ['invalid', 'Claim.type'],
      ['invalid', 'Claim.diagnosis'],
      ['required', 'Claim.diagnosis[5].diagnosisCodeableConcept'],
      ['invalid', 'Claim.item[0].quantity'],
      ['invalid', 'Claim.item[0].unitPrice'],
      ['invalid', 'Claim.item[1].category'],
      ['required', 'Claim.item[2].extension'],
      ['invalid', 'Claim.supportingInfo[1].category'],
    ]);
    expect(res.body.issue.every((i) => i.severity === 'error' && typeof i.diagnostics === 'string')).toBe(true);
  });

  test('a claim without items, or not a Claim at all, is refused', async () => {
    const claim = fixture('claim-covered-insuree.json');
    delete claim.item;
    const noItems = await submit<OperationOutcome>(claim);
    expect(noItems.status).toBe(400);
    expect(noItems.body.issue.map((i) => [i.code, i.expression?.[0]])).toEqual([['required', 'Claim.item']]);

    const bundle = await submit<OperationOutcome>({ resourceType: 'Bundle', type: 'collection' });
    expect(bundle.status).toBe(400);
    expect(bundle.body.issue.map((i) => i.expression?.[0])).toEqual(['Claim']);
  });

  test('an unknown CHF ID is "Insuree <chfid> not found", reported with the other problems', async () => {
    const claim = fixture('claim-covered-insuree.json');
    claim.patient.identifier = { ...claim.patient.identifier, value: '070708000' };
    claim.type = { coding: [{ code: 'Z' }] };

    const res = await submit<OperationOutcome>(claim);
    expect(res.status).toBe(400);
    expect(res.body.issue.map((i) => [i.code, i.expression?.[0], i.diagnostics])).toEqual([
      ['invalid', 'Claim.type', 'type.coding[0].code must be E, R or O.'],
      ['not-found', 'Claim.patient', 'Insuree 070708000 not found'],
    ]);
  });

  test('the same claim code at the same health facility is a duplicate; at another facility it is a new claim', async () => {
    const claim = fixture('claim-covered-insuree.json');
    expect((await submit(claim)).status).toBe(201);

    const again = await submit<OperationOutcome>(claim);
    expect(again.status).toBe(400);
    expect(again.body.issue).toEqual([
      { severity: 'error', code: 'duplicate', diagnostics: 'Claim code CLM00081 already exists for this health facility', expression: ['Claim.identifier'] },
    ]);

    claim.provider.identifier = { ...claim.provider.identifier, value: 'HF000999' };
    expect((await submit(claim, 'application/json')).status).toBe(201);
  });

  test('Claim search by identifier lists the claims with that code; an unknown code gives an empty searchset', async () => {
    const first = await submit(fixture('claim-covered-insuree.json'));
    await submit(fixture('claim-excluded-service.json'));

    const found = await call<Bundle<Claim>>('/Claim/?identifier=CLM00081');
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    const entry = found.body.entry?.[0];
    expect(entry?.fullUrl).toBe(`${api()}/Claim/${first.body.id}`);
    expect(entry?.resource).toMatchObject({
      resourceType: 'Claim',
      id: first.body.id,
      status: 'active',
      patient: fixture('claim-covered-insuree.json').patient,
      provider: fixture('claim-covered-insuree.json').provider,
    });
    expect(entry?.resource?.identifier?.map((i) => [i.type?.coding?.[0]?.code, i.value])).toEqual([
      ['UUID', first.body.id],
      ['Code', 'CLM00081'],
    ]);

    const none = await call<Bundle>('/Claim?identifier=NOPE');
    expect(none.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] });
  });

  test('an unknown ClaimResponse is a 404 OperationOutcome', async () => {
    const res = await call<OperationOutcome>('/ClaimResponse/6f1c2d4e-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(res.body.issue[0]?.code).toBe('not-found');
  });

  test('a Claim sent as another media type is 415', async () => {
    const res = await call<OperationOutcome>('/Claim/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'CLM00081' });
    expect(res.status).toBe(415);
    expect(res.body.issue[0]?.code).toBe('not-supported');
  });

  test('a reset forgets the claims', async () => {
    const id = (await submit(fixture('claim-covered-insuree.json'))).body.id as string;
    expect((await fetch(`${sandbox.url}/_control/reset`, { method: 'POST' })).status).toBe(204);
    expect((await call(`/ClaimResponse/${id}/`)).status).toBe(404);
    expect((await submit(fixture('claim-covered-insuree.json'))).status).toBe(201);
  });
});

describe('openIMIS face with stepMs 0', () => {
  test('a claim is valuated (or rejected) as soon as it is entered', async () => {
    const insurers = loadSeedFile(defaultSeedFile()).insurers.map((i) => (i.openimis ? { ...i, openimis: { ...i.openimis, stepMs: 0 } } : i));
    const sandbox = await startSandbox({ port: 0, now: () => START, logger: pino({ level: 'silent' }), seed: { insurers } });
    try {
      const api = `${sandbox.url}/demo-openimis/api/api_fhir_r4`;
      const login = await fetch(`${api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CREDENTIALS) });
      const { token } = (await login.json()) as { token: string };
      const post = async (name: string): Promise<ClaimResponse> => {
        const res = await fetch(`${api}/Claim`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(fixture(name)) });
        expect(res.status).toBe(201);
        return (await res.json()) as ClaimResponse;
      };

      const valuated = await post('claim-covered-insuree.json');
      expect(valuated.outcome).toBe('complete');
      expect(totals(valuated)).toEqual([['2', 25000], ['4', 25000], ['8', 25000], ['16', 22500]]);
      const rejected = await post('claim-lapsed-insuree.json');
      expect(rejected.total).toBeUndefined();
      expect(rejected.item?.map(adjudications)).toEqual([[['1', '3', 2500, 4]], [['1', '3', 15000, 1]]]);
    } finally {
      await sandbox.close();
    }
  });
});
