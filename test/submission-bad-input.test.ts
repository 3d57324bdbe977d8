/**
 * Bad input always gets a clear OperationOutcome with the right status: never a 500, never a crash,
 * never a partial write. Every case goes over real HTTP to a running gateway (small body limit, default
 * JSON depth); the last case checks the gateway is still alive, stored nothing, and still accepts claims.
 */
import type { Bundle, Claim, Extension } from '@medplum/fhirtypes';
import type { GatewayErrorCode } from '../gateway/fhir/outcomes.js';
import { claimBundle, processingStatus, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { VALIDATION_RULE_SYSTEM } from '../gateway/validation/rules.js';
import { expectOutcome } from './outcome-assertions.js';

const BODY_LIMIT_BYTES = 250_000;
const JSON_MAX_DEPTH = 64;
const CLAIM = 'Bundle.entry[0].resource';
const TABLES = ['claims', 'claim_events', 'claim_responses', 'outbox', 'idempotency_keys'] as const;

let gw: TestGateway;
let rowsBefore: Record<string, number>;

beforeAll(async () => {
  gw = await startTestGateway({ env: { BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES), JSON_MAX_DEPTH: String(JSON_MAX_DEPTH) } });
  rowsBefore = await countRows();
});
afterAll(async () => {
  await gw?.stop();
});

async function countRows(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await gw.passerelle.db.query<{ n: number }>(`select count(*)::int as n from ${table}`);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

/** POSTs raw bytes to $submit as demo-clinic, with exactly the Content-Type given (none when null). */
async function submitRaw(body: string | Uint8Array, contentType: string | null = 'application/fhir+json'): Promise<HttpAnswer> {
  const headers = new Headers({ Authorization: `Bearer ${await gw.token('demo-clinic')}` });
  if (contentType !== null) headers.set('Content-Type', contentType);
  // A Uint8Array body makes fetch send no Content-Type of its own.
  const res = await fetch(`${gw.url}/fhir/Claim/$submit`, { method: 'POST', headers, body: typeof body === 'string' ? new TextEncoder().encode(body) : body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** The message of the single issue carrying `error`. */
function message(answer: HttpAnswer, status: number, error: GatewayErrorCode): string {
  const issues = expectOutcome(answer, status, error);
  expect(issues).toHaveLength(1);
  return issues[0]!.details!.text!;
}

function claimOf(bundle: Bundle): Claim {
  return bundle.entry![0]!.resource as Claim;
}

/** Extensions nested `levels` deep, the innermost carrying `innermost`'s value. */
function nestedExtension(levels: number, innermost: Partial<Extension>): Extension {
  let ext: Extension = { url: 'urn:test:level', ...innermost };
  for (let i = 1; i < levels; i++) ext = { url: 'urn:test:level', extension: [ext] };
  return ext;
}

/** Nesting depth as the gateway counts it: the root object is 1, each object or array one more. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

describe('bad submissions', () => {
  describe('bodies that are not a JSON object', () => {
    it('rejects malformed JSON with 400 json-malformed', async () => {
      const answer = await submitRaw('{resourceType: Bundle, "type": "collection"}');
      expect(message(answer, 400, 'json-malformed')).toMatch(/not valid JSON/);
    });

    it('rejects truncated JSON with 400 json-malformed', async () => {
      const text = JSON.stringify(claimBundle());
      const answer = await submitRaw(text.slice(0, Math.floor(text.length / 2)));
      expect(message(answer, 400, 'json-malformed')).toMatch(/not valid JSON/);
    });

    it('rejects an empty body with 400 body-unreadable', async () => {
      const answer = await submitRaw('');
      expect(message(answer, 400, 'body-unreadable')).toMatch(/no body/);
    });

    it.each([
      ['a JSON array', JSON.stringify([claimBundle()])],
      ['a number', '42'],
      ['a string', '"Bundle"'],
      ['null', 'null'],
    ])('rejects %s with 400 json-not-object', async (_name, body) => {
      const answer = await submitRaw(body);
      expect(message(answer, 400, 'json-not-object')).toMatch(/must be a JSON object/);
    });
  });

  describe('content type', () => {
    it.each([
      ['text/plain', 'text/plain'],
      ['application/xml', 'application/xml'],
      ['a missing content type', null],
    ])('rejects %s with 415 content-type', async (_name, contentType) => {
      const answer = await submitRaw(JSON.stringify(claimBundle()), contentType);
      const text = message(answer, 415, 'content-type');
      expect(text).toMatch(/application\/fhir\+json/);
      expect(text).toContain(contentType ?? 'none');
    });
  });

  describe('size and depth', () => {
    it('rejects a body over the limit with 413 body-too-large', async () => {
      const bundle = claimBundle();
      bundle.entry!.push({ resource: { resourceType: 'Basic', code: { text: 'x'.repeat(300 * 1024) } } });
      const body = JSON.stringify(bundle);
      expect(body.length).toBeGreaterThan(BODY_LIMIT_BYTES);
      const answer = await submitRaw(body);
      expect(message(answer, 413, 'body-too-large')).toContain(String(BODY_LIMIT_BYTES));
    });

    it(`lets a claim bundle nested exactly ${JSON_MAX_DEPTH} levels deep past the depth guard`, async () => {
      const bundle = claimBundle();
      const claim = claimOf(bundle);
      claim.extension = [nestedExtension(30, { valueString: 'deepest' })];
      delete claim.identifier; // so the request gets a 422 after the guard and stores nothing
      expect(depthOf(bundle)).toBe(JSON_MAX_DEPTH);
      const answer = await submitRaw(JSON.stringify(bundle));
      const issues = expectOutcome(answer, 422, 'validation');
      expect(issues.map((i) => i.expression?.[0])).toContain(`${CLAIM}.identifier`);
    });

    it(`rejects a claim bundle nested ${JSON_MAX_DEPTH + 1} levels deep with 400 json-too-deep`, async () => {
      const bundle = claimBundle();
      claimOf(bundle).extension = [nestedExtension(30, { valueCodeableConcept: { text: 'one level too deep' } })];
      expect(depthOf(bundle)).toBe(JSON_MAX_DEPTH + 1);
      const answer = await submitRaw(JSON.stringify(bundle));
      const text = message(answer, 400, 'json-too-deep');
      expect(text).toContain(`deeper than ${JSON_MAX_DEPTH} levels`);
      const [issue] = expectOutcome(answer, 400, 'json-too-deep');
      expect(issue!.expression?.[0]).toMatch(/^Bundle\.entry\[0\]\.resource\.extension\[0\](\.extension\[0\])+/);
    });

    it('rejects a body nested 100,000 levels deep with 400 json-too-deep', async () => {
      const levels = 100_000;
      const body = `{"resourceType":"Bundle","type":"collection","entry":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
      expect(body.length).toBeLessThan(BODY_LIMIT_BYTES);
      const answer = await submitRaw(body);
      expect(message(answer, 400, 'json-too-deep')).toContain(`deeper than ${JSON_MAX_DEPTH} levels`);
    });
  });

  describe('keys that alter prototypes', () => {
    it.each(['__proto__', 'constructor', 'prototype'])('rejects a "%s" key inside the claim with 400 json-forbidden-key', async (key) => {
      const text = JSON.stringify(claimBundle()).replace('"item":[{', `"item":[{"${key}":{"isAdmin":true},`);
      expect(text).toContain(`"${key}"`);
      const answer = await submitRaw(text);
      const detail = message(answer, 400, 'json-forbidden-key');
      expect(detail).toContain(`"${key}"`);
      const [issue] = expectOutcome(answer, 400, 'json-forbidden-key');
      expect(issue!.expression).toEqual([`Bundle.entry[0].resource.item[0].${key}`]);
    });
  });

  describe('bundle shape', () => {
    it('rejects a transaction Bundle with 422 bundle-type', async () => {
      const bundle = { ...claimBundle(), type: 'transaction' };
      const answer = await gw.submit(bundle);
      const [issue] = expectOutcome(answer, 422, 'bundle-type');
      expect(issue!.expression).toEqual(['Bundle.type']);
      expect(issue!.details!.text).toMatch(/"collection".*"transaction"/);
    });

    it('rejects a Bundle whose first entry is a Patient with 422 bundle-first-entry', async () => {
      const bundle = claimBundle();
      bundle.entry = [bundle.entry![1]!, bundle.entry![0]!, bundle.entry![2]!];
      const answer = await gw.submit(bundle);
      const [issue] = expectOutcome(answer, 422, 'bundle-first-entry');
      expect(issue!.expression).toEqual(['Bundle.entry[0].resource']);
      expect(issue!.details!.text).toMatch(/first entry must be the Claim.*"Patient"/);
    });

    it('rejects a bare Claim instead of a Bundle with 422 resource-type', async () => {
      const answer = await gw.submit(claimOf(claimBundle()));
      const [issue] = expectOutcome(answer, 422, 'resource-type');
      expect(issue!.expression).toEqual(['Bundle.resourceType']);
      expect(issue!.details!.text).toMatch(/Expected a Bundle.*"Claim"/);
    });

    it('rejects an entry of an unknown resource type with 422 schema at its resourceType', async () => {
      const bundle = claimBundle();
      bundle.entry!.push({ fullUrl: 'urn:uuid:5b0c6f0e-3f1d-4b8e-9a55-0c1a2b3c4d99', resource: { resourceType: 'Invoicee', id: 'x' } as never });
      const answer = await gw.submit(bundle);
      const issues = expectOutcome(answer, 422, 'validation');
      expect(issues.map((i) => i.expression)).toEqual([['Bundle.entry[3].resource.resourceType']]);
      expect(issues[0]!.details!.text).toContain('"Invoicee" is not a FHIR R4 resource type');
    });
  });

  describe('claim content', () => {
    it('reports every schema error at once, each with its own expression (422 schema)', async () => {
      const bundle = claimBundle();
      const claim = claimOf(bundle) as Claim & Record<string, unknown>;
      claim.colour = 'blue';
      (claim.item![0]!.net as Record<string, unknown>).value = '15000';
      claim.created = 'yesterday';
      const answer = await gw.submit(bundle);
      const issues = expectOutcome(answer, 422, 'validation');
      expect(issues.map((i) => i.expression?.[0]).sort()).toEqual([
        `${CLAIM}.colour`, `${CLAIM}.created`, `${CLAIM}.item[0].net.value`,
      ]);
      for (const issue of issues) expect(issue.severity).toBe('error');
      const text = (expression: string) => issues.find((i) => i.expression?.[0] === expression)!.details!.text;
      expect(text(`${CLAIM}.colour`)).toMatch(/Unknown element "colour"/);
      expect(text(`${CLAIM}.item[0].net.value`)).toMatch(/Invalid value/);
      expect(text(`${CLAIM}.created`)).toMatch(/Invalid dateTime "yesterday"/);
    });

    it('rejects a patient and a coverage that are not in the bundle with 422 reference-unresolved each', async () => {
      const bundle = claimBundle();
      const claim = claimOf(bundle);
      claim.patient = { reference: 'Patient/elsewhere' }; // a urn:uuid: outside the bundle is the base pack's pas-bundle-references
      claim.insurance![0]!.coverage = { reference: 'Coverage/nowhere' };
      const answer = await gw.submit(bundle);
      const issues = expectOutcome(answer, 422, 'reference-unresolved');
      expect(issues.map((i) => i.expression)).toEqual([[`${CLAIM}.patient`], [`${CLAIM}.insurance[0].coverage`]]);
      expect(issues[0]!.details!.text).toMatch(/Patient included in the bundle/);
      expect(issues[1]!.details!.text).toMatch(/Coverage included in the bundle/);
    });

    it('rejects a claim without identifier with 422: the base pack requires it (duplicates are recognised by it)', async () => {
      const bundle = claimBundle();
      delete claimOf(bundle).identifier;
      const answer = await gw.submit(bundle);
      const issues = expectOutcome(answer, 422, 'validation');
      const missing = issues.find((i) => i.expression?.[0] === `${CLAIM}.identifier`);
      expect(missing?.details?.coding?.[1]).toEqual({ system: VALIDATION_RULE_SYSTEM, code: 'fhir-cardinality-min' });
      expect(missing?.details?.text).toMatch(/Missing required element "identifier"/);
    });

    it('rejects a claim naming another provider than the caller with 422 provider-not-caller', async () => {
      const answer = await gw.submit(claimBundle(undefined, { provider: 'demo-hospital' }), 'demo-clinic');
      const [issue] = expectOutcome(answer, 422, 'provider-not-caller');
      expect(issue!.expression).toEqual([`${CLAIM}.provider`]);
      expect(issue!.details!.text).toMatch(/demo-clinic.*"demo-hospital"/);
    });

    it.each([
      ['an unknown participant', 'nobody-insurance'],
      ['a provider', 'demo-hospital'],
    ])('rejects a claim whose insurer is %s with 422 insurer-unknown', async (_name, insurer) => {
      const answer = await gw.submit(claimBundle(undefined, { insurer, member: 'M0001' }));
      const [issue] = expectOutcome(answer, 422, 'insurer-unknown');
      expect(issue!.expression).toEqual([`${CLAIM}.insurer`]);
      expect(issue!.details!.text).toContain(`"${insurer}" is not an active insurer`);
    });
  });

  describe('elements of the wrong JSON shape (checked before anything reads them)', () => {
    const cases: Array<[string, (bundle: Bundle, claim: Record<string, unknown>) => void, string]> = [
      ['Claim.identifier is a string', (_b, claim) => { claim.identifier = 'CLM-0001'; }, `${CLAIM}.identifier`],
      ['Claim.identifier holds null', (_b, claim) => { claim.identifier = [null]; }, `${CLAIM}.identifier[0]`],
      ['Claim.insurance is an object', (_b, claim) => { claim.insurance = (claim.insurance as unknown[])[0]; }, `${CLAIM}.insurance`],
      ['Claim.insurance holds null', (_b, claim) => { claim.insurance = [null]; }, `${CLAIM}.insurance[0]`],
      ['Claim.patient is null', (_b, claim) => { claim.patient = null; }, `${CLAIM}.patient`],
      ['Claim.provider is null', (_b, claim) => { claim.provider = null; }, `${CLAIM}.provider`],
      ['an entry is null', (bundle) => { (bundle.entry as unknown[]).push(null); }, 'Bundle.entry[3]'],
      ['an entry is a number', (bundle) => { (bundle.entry as unknown[]).push(7); }, 'Bundle.entry[3]'],
    ];
    it.each(cases)('rejects a bundle where %s with 422 schema at that element', async (_name, change, expression) => {
      const bundle = claimBundle();
      const identifier = claimOf(bundle).identifier![0]!.value;
      change(bundle, claimOf(bundle) as unknown as Record<string, unknown>);
      const answer = await gw.submit(bundle);
      const issues = expectOutcome(answer, 422, 'validation');
      expect(issues.map((i) => i.expression?.[0])).toContain(expression);
      const { rows } = await gw.passerelle.db.query<{ n: number }>('select count(*)::int as n from claims where identifier_value = $1', [identifier]);
      expect(rows[0]!.n).toBe(0);
    });
  });

  describe('transport encodings', () => {
    it.each(['gzip', 'deflate', 'br'])('rejects a body that is not valid %s with 400 body-unreadable', async (encoding) => {
      const res = await fetch(`${gw.url}/fhir/Claim/$submit`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${await gw.token('demo-clinic')}`, 'Content-Type': 'application/fhir+json', 'Content-Encoding': encoding },
        body: new TextEncoder().encode(JSON.stringify(claimBundle())),
      });
      const text = await res.text();
      const answer = { status: res.status, headers: res.headers, body: JSON.parse(text) as HttpAnswer['body'] };
      expect(message(answer, 400, 'body-unreadable')).toMatch(/could not be read|decod/);
    });

    it('rejects a body declared in a charset other than UTF-8 with 415 content-type instead of misreading it', async () => {
      const bundle = claimBundle();
      (bundle.entry![1]!.resource as { name?: unknown }).name = [{ family: 'Diop', given: ['Aïssatou'] }];
      const latin1 = Buffer.from(JSON.stringify(bundle), 'latin1');
      const answer = await submitRaw(new Uint8Array(latin1), 'application/fhir+json; charset=ISO-8859-1');
      expect(message(answer, 415, 'content-type')).toMatch(/UTF-8/);
    });
  });

  it('stays alive, stores nothing from the bad requests, and still carries a valid claim to complete', async () => {
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await countRows()).toEqual(rowsBefore);

    const answer = await gw.submit(claimBundle());
    expect(answer.status).toBe(202);
    const claimId = answer.headers.get('location')!.split('/Claim/')[1]!;
    const claim = await gw.waitForStatus(claimId, ['complete', 'partial', 'error', 'failed']);
    expect(processingStatus(claim)).toBe('complete');
    const { rows } = await gw.passerelle.db.query<{ n: number }>('select count(*)::int as n from claims');
    expect(rows[0]!.n).toBe(rowsBefore.claims! + 1);
  });
});
