/**
 * Hostile input over the HTTP surface (npm run test:fuzz): generated bad bodies and headers against a
 * running gateway. Truncated and invalid JSON, invalid UTF-8, huge strings and arrays, deep nesting,
 * prototype keys, wrong content types, invalid and mutated FHIR, oversized bodies, bad headers, slow
 * senders. Expected: only 4xx OperationOutcomes (or 202 when a mutation still makes a valid claim), never
 * a 5xx, never a crash, bounded memory. Prints the counts by status. FUZZ_CASES sets the count (default
 * 10,000); FUZZ_SEED replays a run.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { claimBundle, startTestGateway, type TestGateway } from '../harness.js';

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const BODY_LIMIT = 1_000_000;
const CONCURRENCY = 24;
const ALLOWED = new Set([202, 400, 401, 403, 409, 413, 415, 422]);

interface Case {
  readonly kind: string;
  readonly body: Buffer | string;
  readonly headers: Record<string, string>;
}

const json = 'application/fhir+json';
const valid = () => JSON.stringify(claimBundle());

/** Sets value at a random path of a JSON value (mutating it); paths come from the random source. */
function mutate(root: unknown, choices: number[], value: unknown): void {
  let node = root as Record<string, unknown>;
  for (const choice of choices) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[choice % keys.length]!;
    const child = node[key];
    if (child === null || typeof child !== 'object' || choice % 3 === 0) {
      node[key] = value;
      return;
    }
    node = child as Record<string, unknown>;
  }
  node[`x${choices.length}`] = value;
}

const generators: Array<[string, fc.Arbitrary<Case>]> = [
  ['truncated-json', fc.double({ min: 0, max: 0.999, noNaN: true }).map((cut) => {
    const text = valid();
    return { kind: 'truncated-json', body: text.slice(0, Math.floor(text.length * cut)), headers: { 'content-type': json } };
  })],
  ['random-json', fc.jsonValue({ maxDepth: 6 }).map((v) => ({ kind: 'random-json', body: JSON.stringify(v) ?? 'null', headers: { 'content-type': json } }))],
  ['random-bytes', fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((b) => ({ kind: 'random-bytes', body: Buffer.from(b), headers: { 'content-type': json } }))],
  ['invalid-utf8', fc.integer({ min: 10, max: 2000 }).map((at) => {
    const text = Buffer.from(valid());
    const bytes = Buffer.concat([text.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), text.subarray(at)]);
    return { kind: 'invalid-utf8', body: bytes, headers: { 'content-type': json } };
  })],
  ['mutated-fhir', fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, '', -1, 1e308, 'bogus', [], {}, true, '2024-13-45T99:99:99Z'))).map(([path, value]) => {
    const bundle = claimBundle() as unknown;
    mutate(bundle, path, value);
    return { kind: 'mutated-fhir', body: JSON.stringify(bundle), headers: { 'content-type': json } };
  })],
  ['prototype-keys', fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'prototype')).map(([path, key]) => {
    const text = JSON.stringify(claimBundle());
    const marker = `"resourceType":"Claim"`;
    const nth = path.length % 2 === 0 ? text.indexOf(marker) : text.indexOf('"item":[{') + 9;
    return { kind: 'prototype-keys', body: `${text.slice(0, nth)}"${key}":{"polluted":true},${text.slice(nth)}`, headers: { 'content-type': json } };
  })],
  ['deep-nesting', fc.tuple(fc.integer({ min: 65, max: 50_000 }), fc.boolean()).map(([depth, arrays]) => {
    const [open, close] = arrays ? ['[', ']'] : ['{"a":', '}'];
    return { kind: 'deep-nesting', body: `{"resourceType":"Bundle","type":"collection","entry":${open.repeat(depth)}1${close.repeat(depth)}}`, headers: { 'content-type': json } };
  })],
  ['huge-values', fc.tuple(fc.integer({ min: 100_000, max: 900_000 }), fc.boolean()).map(([size, array]) => {
    const bundle = claimBundle() as unknown as { entry: Array<{ resource: Record<string, unknown> }> };
    bundle.entry[0]!.resource.item = array ? Array.from({ length: Math.floor(size / 20) }, (_, i) => ({ sequence: i + 1 })) : bundle.entry[0]!.resource.item;
    if (!array) bundle.entry[0]!.resource.text = { status: 'generated', div: 'x'.repeat(size) };
    return { kind: 'huge-values', body: JSON.stringify(bundle), headers: { 'content-type': json } };
  })],
  ['oversized', fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 1.5 }).map((size) => ({ kind: 'oversized', body: `{"resourceType":"Bundle","pad":"${'y'.repeat(size)}"}`, headers: { 'content-type': json } }))],
  ['content-types', fc.constantFrom('text/plain', 'application/xml', 'application/fhir+xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/fhir+json; charset=utf-16', '', 'application/x-www-form-urlencoded', 'application/fhir+json;;;', '*/*')
    .map((type): Case => ({ kind: 'content-types', body: valid(), headers: type ? { 'content-type': type } : {} }))],
  ['content-encodings', fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'identity, gzip', 'x-unknown').map((encoding) => ({ kind: 'content-encodings', body: valid(), headers: { 'content-type': json, 'content-encoding': encoding } }))],
  ['bad-headers', fc.tuple(fc.string({ minLength: 0, maxLength: 300 }), fc.constantFrom('idempotency', 'authorization')).map(([value, which]) => ({
    kind: 'bad-headers', body: valid(),
    headers: { 'content-type': json, ...(which === 'idempotency' ? { 'idempotency-key': value.replace(/[\r\n]/g, ' ') || ' ' } : { authorization: `Bearer ${value.replace(/[^\x21-\x7e]/g, '')}` }) },
  }))],
];

/** Sends one case; with slow, the body trickles in small chunks. Resolves with the status (0 = no answer). */
function send(gw: TestGateway, token: string, c: Case, slow: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const url = new URL(`${gw.url}/fhir/Claim/$submit`);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...c.headers };
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', () => resolve({ status: 0, body: '' })); // e.g. the server closing an oversized upload
    const body = Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body);
    if (!slow) return req.end(body);
    let at = 0;
    const tick = () => {
      if (at >= body.length) return req.end();
      req.write(body.subarray(at, at + 64));
      at += 64;
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('hostile input over HTTP', () => {
  it(`answers ${CASES} generated bad requests with 4xx outcomes only, and stays up`, async () => {
    const gw = await startTestGateway({ env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), DELIVERY_ATTEMPTS: '1', RATE_LIMIT_PER_MINUTE: '10000000' } });
    try {
      const token = await gw.token('demo-clinic');
      // Cases are made in batches of 100, round-robin over the generators, so memory stays bounded.
      const batches = Math.ceil(CASES / 100);
      const batch = (b: number) => { const [, arb] = generators[b % generators.length]!; return fc.sample(arb, { numRuns: 100, seed: SEED + b }); };
      const counts = new Map<string, Map<number, number>>();
      const problems: string[] = [];
      let peakRss = process.memoryUsage().rss;
      let sent = 0;
      for (let b = 0; b < batches; b++) {
        const cases = batch(b);
        let next = 0;
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const index = b * 100 + next;
          const c = cases[next++]!;
          sent++;
          const { status, body } = await send(gw, token, c, c.kind === 'truncated-json' && index % 50 === 0);
          const byStatus = counts.get(c.kind) ?? new Map<number, number>();
          byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
          counts.set(c.kind, byStatus);
          const acceptable = ALLOWED.has(status) || (status === 0 && c.kind === 'oversized');
          const outcome = status === 202 || status === 0 || /"resourceType":"OperationOutcome"/.test(body);
          if ((!acceptable || !outcome) && problems.length < 20) problems.push(`${c.kind} #${index}: HTTP ${status} ${body.slice(0, 200)}`);
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
        }
        }));
      }
      const health = await fetch(`${gw.url}/healthz`);
      const table = [...counts].map(([kind, byStatus]) => `${kind.padEnd(18)} ${[...byStatus].sort().map(([s, n]) => `${s}:${n}`).join('  ')}`);
      process.stdout.write(`\nfuzz: ${sent} requests (seed ${SEED}), peak RSS ${Math.round(peakRss / 1e6)} MB\n${table.join('\n')}\n`);
      expect(problems).toEqual([]);
      expect(health.status).toBe(200);
      expect(peakRss).toBeLessThan(1.5e9);
    } finally {
      await gw.stop();
    }
  }, 600_000);
});
