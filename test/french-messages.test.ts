/**
 * French and English: every gateway error answer comes in the language the request asks for
 * (Accept-Language; DEFAULT_LANGUAGE otherwise), details.text and diagnostics alike, the code never
 * changing; stored ClaimResponses carry both languages (the FHIR translation extension). An answer
 * stored for an Idempotency-Key is replayed as it was first sent, language included. A static check
 * keeps every gateway error call site bilingual.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Bundle, Claim, ClaimResponse, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, localize, outcome, TRANSLATION_EXTENSION, withTranslations } from '../gateway/fhir/outcomes.js';
import { claimBundle, insurerResponses, startTestGateway, type HttpAnswer, type TestGateway } from './harness.js';
import { expectOutcome } from './outcome-assertions.js';

let gw: TestGateway;
let signedInsurerToken: string;

beforeAll(async () => {
  gw = await startTestGateway();
  // An insurer client with registered keys, whose unsigned replies are refused (401 signature-invalid).
  const pair = await generateKeyPair('ES384');
  const operator = await gw.token('demo-operator');
  const registered = await fetch(`${gw.url}/admin/participants/demo-insurer/clients`, {
    method: 'POST', headers: { Authorization: `Bearer ${operator}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId: 'demo-insurer-fr', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'ipm-fr' }] } }),
  });
  expect(registered.status).toBe(201);
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ iss: 'demo-insurer-fr', sub: 'demo-insurer-fr', aud: `${gw.url}/auth/token`, exp: now + 120, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES384', kid: 'ipm-fr' }).sign(pair.privateKey);
  signedInsurerToken = ((await (await fetch(`${gw.url}/auth/token`, { method: 'POST', body: new URLSearchParams({
    grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
  }) })).json()) as { access_token: string }).access_token;
}, 30_000);
afterAll(async () => {
  await gw?.stop();
});

interface Call {
  readonly method?: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly clientId?: string;
  readonly token?: string;
  readonly headers?: Record<string, string>;
  /** A body sent as is (not JSON-encoded). */
  readonly raw?: string;
}

async function call(request: Call, language?: string): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(request.body !== undefined ? { 'Content-Type': 'application/fhir+json' } : {}), ...request.headers };
  if (language) headers['Accept-Language'] = language;
  headers.Authorization = `Bearer ${request.token ?? (await gw.token(request.clientId ?? 'demo-clinic'))}`;
  const res = await fetch(`${gw.url}${request.path}`, {
    method: request.method ?? (request.body === undefined ? 'GET' : 'POST'), headers,
    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : request.raw !== undefined ? { body: request.raw } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

const issuesOf = (answer: HttpAnswer) => (answer.body as unknown as OperationOutcome).issue ?? [];
const texts = (issue: OperationOutcomeIssue) => [issue.details?.text, issue.diagnostics];

/**
 * Asks the same thing in English (no Accept-Language: the default) and in French; both answers have
 * the same status and codes, the French one's every text differs from the English one and holds `french`.
 */
async function inBothLanguages(request: () => Call, status: number, error: Parameters<typeof expectOutcome>[2], english: string, french: string) {
  const en = await call(request());
  const fr = await call(request(), 'fr-SN, fr;q=0.9, en;q=0.5');
  const [enIssue] = expectOutcome(en, status, error);
  const [frIssue] = expectOutcome(fr, status, error);
  expect(texts(enIssue!).join('\n')).toContain(english);
  expect(texts(frIssue!)).toEqual([expect.stringContaining(french), expect.stringContaining(french)]);
  expect(issuesOf(fr).map((i) => i.details?.coding)).toEqual(issuesOf(en).map((i) => i.details?.coding));
  issuesOf(fr).forEach((issue, i) => expect(issue.diagnostics).not.toBe(issuesOf(en)[i]!.diagnostics));
  return { en, fr };
}

const UNKNOWN_CLAIM = '00000000-0000-4000-8000-000000000000';
const relationship = { coding: [{ system: 'https://fhir.passerelle.sn/CodeSystem/related-claim-relationship', code: 'replaces' }] };
const FINANCIAL_TASK = 'http://hl7.org/fhir/CodeSystem/financialtaskcode';

function correctingUnknown(): Bundle {
  const bundle = claimBundle();
  (bundle.entry![0]!.resource as Claim).related = [{ claim: { reference: `Claim/${UNKNOWN_CLAIM}` }, relationship }];
  return bundle;
}

const submitted = async (bundle = claimBundle()) => (await gw.submit(bundle)).headers.get('location')!.split('/Claim/')[1]!;

describe('error answers in French or English', () => {
  it('auth: 401 signature-invalid and 403 insufficient-scope', async () => {
    await inBothLanguages(() => ({ path: '/fhir/ClaimResponse', token: signedInsurerToken, body: { resourceType: 'ClaimResponse', request: { reference: `Claim/${UNKNOWN_CLAIM}` } } }),
      401, 'signature-invalid', 'The reply is not signed', "La réponse n'est pas signée");
    await inBothLanguages(() => ({ path: '/fhir/Claim/$submit', clientId: 'demo-insurer', body: claimBundle() }),
      403, 'insufficient-scope', 'needs the scope system/Claim.write', 'exige la portée (scope) system/Claim.write');
  });

  it('auth: 401 unauthenticated for an invalid token, and json-malformed (400) for a body that is not JSON', async () => {
    await inBothLanguages(() => ({ path: `/fhir/Claim/${UNKNOWN_CLAIM}`, token: 'not-a-token' }), 401, 'unauthenticated', 'The bearer token is invalid', 'Le jeton est invalide');
    await inBothLanguages(() => ({ path: '/fhir/Claim/$submit', method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: undefined, raw: '{"resourceType":' }),
      400, 'json-malformed', 'The body is not valid JSON', "n'est pas un JSON valide");
  });

  it('not found: 404 for an unknown resource and an unknown route', async () => {
    await inBothLanguages(() => ({ path: `/fhir/Claim/${UNKNOWN_CLAIM}` }), 404, 'not-found', 'is not known', `Claim/${UNKNOWN_CLAIM} est inconnu de la passerelle`);
    await inBothLanguages(() => ({ path: '/fhir/Nothing-here' }), 404, 'not-found', 'is not an operation of this gateway', "n'est pas une opération de cette passerelle");
  });

  it('request body: content-type (415), before any route chose a language', async () => {
    await inBothLanguages(() => ({ path: '/fhir/Claim/$submit', body: claimBundle(), headers: { 'Content-Type': 'text/plain' } }),
      415, 'content-type', 'Content-Type must be application/fhir+json', 'Le Content-Type doit être application/fhir+json');
  });

  it('claim pipeline: related-claim-unknown, preauth-unknown (422)', async () => {
    await inBothLanguages(() => ({ path: '/fhir/Claim/$submit', body: correctingUnknown() }),
      422, 'related-claim-unknown', 'The corrected claim names no claim of this provider', 'La demande corrigée ne désigne aucune demande de ce prestataire');
    const citing = () => {
      const bundle = claimBundle('claim-bundle-above-pend-threshold');
      (bundle.entry![0]!.resource as Claim).insurance![0]!.preAuthRef = ['PA-0000000000'];
      return bundle;
    };
    await inBothLanguages(() => ({ path: '/fhir/Claim/$submit', body: citing() }),
      422, 'preauth-unknown', 'no prior authorisation PA-0000000000', 'aucun accord préalable PA-0000000000');
  });

  it('a mixed outcome (validation issues and gateway issues) comes out entirely in the language asked', async () => {
    const mixed = () => {
      const bundle = claimBundle('claim-bundle-covered-member', { provider: 'demo-hospital' });
      // In the tariff's system, not in its value set: a validation warning (extensible binding).
      (bundle.entry![0]!.resource as Claim).item![0]!.productOrService.coding![0]!.code = 'CONS99';
      return { path: '/fhir/Claim/$submit', body: bundle };
    };
    const { fr } = await inBothLanguages(mixed, 422, 'provider-not-caller', 'must be the submitting participant', 'doit être le participant qui soumet la demande');
    expect(issuesOf(fr).map((i) => i.details?.coding?.[1]?.code)).toContain('fhir-binding-extensible');
    expect(issuesOf(fr).map((i) => i.details?.text).join(' ')).toMatch(/liaison extensible/);
  });

  it('exchanges: exchange-claim-unknown (422) and poll-ack-invalid (422)', async () => {
    const communication = () => ({
      resourceType: 'Communication', status: 'completed', about: [{ reference: `Claim/${UNKNOWN_CLAIM}` }], sent: new Date().toISOString(),
      payload: [{ contentString: 'Compte rendu joint' }],
    });
    await inBothLanguages(() => ({ path: '/fhir/Communication', body: communication() }),
      422, 'exchange-claim-unknown', 'names no claim of yours', 'ne désigne aucune de vos demandes');
    await inBothLanguages(() => ({ path: '/fhir/$poll-ack', body: { resourceType: 'Parameters', parameter: [{ name: 'message', valueReference: { reference: 'nonsense' } }] } }),
      422, 'poll-ack-invalid', 'must reference a polled message', 'doit référencer un message déjà relevé');
  });

  it('messaging: message-invalid (422), and a fatal-error response message carries its outcome in French', async () => {
    await inBothLanguages(() => ({ path: '/fhir/$process-message', body: { resourceType: 'Bundle', type: 'message', entry: [] } }),
      422, 'message-invalid', 'A message needs a Bundle.id', 'Un message doit avoir un Bundle.id');
  });

  it('cancel-too-late (409), over REST and as a FHIR message', async () => {
    const claimId = await submitted();
    await gw.waitForStatus(claimId, ['complete']);
    const task = () => ({ resourceType: 'Task', status: 'requested', intent: 'order', code: { coding: [{ system: FINANCIAL_TASK, code: 'cancel' }] }, focus: { reference: `Claim/${claimId}` } });
    await inBothLanguages(() => ({ path: '/fhir/Task', body: task() }),
      409, 'cancel-too-late', 'it can no longer be cancelled', 'elle ne peut donc plus être annulée');

    const header = { resourceType: 'MessageHeader', id: randomUUID(), eventCoding: { system: 'https://fhir.passerelle.sn/CodeSystem/message-event', code: 'cancel-request' }, focus: [{ reference: 'urn:uuid:task' }], source: { endpoint: 'https://his.example/fhir' } };
    const message = { resourceType: 'Bundle', id: randomUUID(), type: 'message', entry: [{ fullUrl: `urn:uuid:${header.id}`, resource: header }, { fullUrl: 'urn:uuid:task', resource: task() }] };
    const answer = await call({ path: '/fhir/$process-message', body: message }, 'fr');
    expect(answer.status).toBe(200);
    const outcome = (answer.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'OperationOutcome')?.resource as OperationOutcome;
    expect(outcome.issue?.[0]?.details?.coding?.[0]?.code).toBe('cancel-too-late');
    expect(outcome.issue?.[0]?.diagnostics).toContain('elle ne peut donc plus être annulée');
  }, 30_000);

  it('replays an Idempotency-Key answer as first sent, language included', async () => {
    const key = randomUUID();
    const bundle = correctingUnknown();
    const first = await call({ path: '/fhir/Claim/$submit', body: bundle, headers: { 'Idempotency-Key': key } }, 'fr');
    const [issue] = expectOutcome(first, 422, 'related-claim-unknown');
    expect(issue!.diagnostics).toContain('La demande corrigée');
    const replay = await call({ path: '/fhir/Claim/$submit', body: bundle, headers: { 'Idempotency-Key': key } }, 'en');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
  });

  it('answers in French by default with DEFAULT_LANGUAGE=fr, and in English when asked', async () => {
    const french = await startTestGateway({ env: { DEFAULT_LANGUAGE: 'fr' } });
    try {
      const token = await french.token('demo-clinic');
      const get = async (language?: string) => {
        const res = await fetch(`${french.url}/fhir/Claim/${UNKNOWN_CLAIM}`, { headers: { Authorization: `Bearer ${token}`, ...(language ? { 'Accept-Language': language } : {}) } });
        return ((await res.json()) as OperationOutcome).issue![0]!.diagnostics;
      };
      expect(await get()).toContain('est inconnu de la passerelle');
      expect(await get('en')).toContain('is not known');
    } finally {
      await french.stop();
    }
  }, 30_000);
});

describe('stored ClaimResponses the gateway writes', () => {
  it('carry their disposition in English with its French translation, and validate', async () => {
    const claimId = await submitted(claimBundle('claim-bundle-above-pend-threshold'));
    const searchset = (await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body as unknown as Bundle;
    const queued = searchset.entry!.map((e) => e.resource as ClaimResponse).find((r) => r.outcome === 'queued')!;
    expect(queued.disposition).toMatch(/^Accepted by the gateway/);
    const translation = (queued as ClaimResponse & { _disposition?: { extension?: Array<{ url: string; extension?: Array<{ url: string; valueCode?: string; valueString?: string }> }> } })._disposition?.extension?.[0];
    expect(translation?.url).toBe(TRANSLATION_EXTENSION);
    expect(translation?.extension).toEqual([{ url: 'lang', valueCode: 'fr' }, { url: 'content', valueString: expect.stringMatching(/^Acceptée par la passerelle/) }]);

    const validated = await call({ path: '/fhir/ClaimResponse/$validate', body: queued });
    expect(validated.status).toBe(200);
    expect(issuesOf(validated).filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
  }, 30_000);

  it("pass on the sandbox insurer's own words with their French, the pended answer and the final one", async () => {
    const claimId = await submitted(claimBundle('claim-bundle-above-pend-threshold'));
    await gw.waitForStatus(claimId, ['complete', 'partial', 'error']);
    const searchset = (await gw.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body as unknown as Bundle;
    const insurers = insurerResponses(searchset as unknown as Record<string, unknown>);
    const french = (r: ClaimResponse) => (r as ClaimResponse & { _disposition?: { extension?: Array<{ url: string; extension?: Array<{ url: string; valueString?: string }> }> } })
      ._disposition?.extension?.find((e) => e.url === TRANSLATION_EXTENSION)?.extension?.find((p) => p.url === 'content')?.valueString;
    const pended = insurers.find((r) => r.outcome === 'queued')!;
    expect(pended.disposition).toMatch(/^Claim pended for manual review/);
    expect(french(pended)).toMatch(/^Demande mise en attente pour examen manuel : le total de \d+ XOF dépasse/);
    const final = insurers.find((r) => r.outcome !== 'queued')!;
    expect(final.disposition).toMatch(/^Claim (partly )?accepted/);
    expect(french(final)).toMatch(/^Demande de remboursement acceptée( en partie)?/);
  }, 30_000);
});

describe('the outcome mechanism', () => {
  const built = () => outcome([issue({ error: 'not-found', message: { en: 'Claim/x is not known', fr: 'Claim/x est inconnu de la passerelle' } })]);

  it('localizes text and diagnostics only, and keeps nothing internal in the answer', () => {
    const english = built();
    expect(localize(english, 'en')).toBe(english);
    const french = localize(english, 'fr');
    expect(french.issue![0]).toEqual({ ...english.issue![0], details: { ...english.issue![0]!.details, text: 'Claim/x est inconnu de la passerelle' }, diagnostics: 'Claim/x est inconnu de la passerelle' });
    expect(JSON.parse(JSON.stringify(french))).toEqual(french);
    expect(english.issue![0]!.diagnostics).toBe('Claim/x is not known'); // the original is not changed
  });

  it('stores both languages with the translation extension', () => {
    const stored = withTranslations(built()).issue![0]! as unknown as Record<string, unknown> & { details: Record<string, unknown> };
    const translation = { extension: [{ url: TRANSLATION_EXTENSION, extension: [{ url: 'lang', valueCode: 'fr' }, { url: 'content', valueString: 'Claim/x est inconnu de la passerelle' }] }] };
    expect(stored).toMatchObject({ diagnostics: 'Claim/x is not known', _diagnostics: translation, details: { text: 'Claim/x is not known', _text: translation } });
  });
});

describe('every gateway error call site gives French too', () => {
  /** Where a plain string is the point: the mechanism itself (a Message may still be a string). */
  const MECHANISM = 'gateway/fhir/outcomes.ts';
  /** None: every folder's messages are checked. */
  const OPERATOR_FOLDERS: string[] = [];
  /**
   * Files whose messages are not converted yet; shrink it, never grow it. The offline validator CLI words
   * its own messages in the language of its --lang option.
   */
  const NOT_CONVERTED_YET = new Set(['gateway/validation/validate-cli.ts']);
  const root = join(new URL('.', import.meta.url).pathname, '..');

  function sources(dir: string): string[] {
    return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  }

  it('passes { en, fr } to gatewayError and issue(), never an English-only string', () => {
    const files = ['gateway', 'workers', 'mappings'].flatMap(sources).map((f) => join(root, f));
    const program = ts.createProgram(files, { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true });
    const checker = program.getTypeChecker();
    const englishOnly: string[] = [];
    const isString = (node: ts.Node) => {
      const type = checker.getTypeAtLocation(node);
      return (type.isUnion() ? type.types : [type]).some((t) => (t.flags & ts.TypeFlags.StringLike) !== 0);
    };
    for (const file of program.getSourceFiles()) {
      const name = relative(root, file.fileName);
      if (!files.includes(file.fileName) || name === MECHANISM || NOT_CONVERTED_YET.has(name) || OPERATOR_FOLDERS.some((f) => name.startsWith(f))) continue;
      const visit = (node: ts.Node): void => {
        if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
          const message = node.expression.text === 'gatewayError' ? node.arguments[1]
            : node.expression.text === 'issue' && node.arguments[0] && ts.isObjectLiteralExpression(node.arguments[0])
              ? node.arguments[0].properties.find((p): p is ts.PropertyAssignment | ts.ShorthandPropertyAssignment => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name.getText(file) === 'message')
              : undefined;
          const value = message && (ts.isPropertyAssignment(message) ? message.initializer : ts.isShorthandPropertyAssignment(message) ? message.name : message);
          if (value && isString(value)) englishOnly.push(`${name}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    expect(englishOnly).toEqual([]);
  }, 60_000);
});
