/**
 * `npm run demo`: drives a few dozen sample claims (demo-claims.ts) from both demo providers through a
 * running gateway, over its public HTTP API only, as a provider's system would: token, $submit, then
 * polling the Claim's processing status and reading the ClaimResponses. Shows each claim's path
 * (accepted → delivered → adjudicated), then a table of every claim and totals per insurer and status.
 * Exit code 0 when every claim was accepted (202) and reached a final state, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import type { Bundle, Claim, ClaimResponse, OperationOutcome } from '@medplum/fhirtypes';
import { PROCESSING_STATUS_EXTENSION, type ClaimStatus } from '../claims/claim-status.js';
import { buildClaimBundle, buildScenarios, type DemoProvider, type DemoScenario } from './demo-claims.js';

const FINAL_STATUSES: ReadonlySet<string> = new Set(['complete', 'partial', 'error', 'failed']);
const POLL_INTERVAL_MS = 250;
const REQUEST_TIMEOUT_MS = 10_000;
const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';

// ---------------------------------------------------------------------------------------------------
// Options

const USAGE = `Usage: npm run demo -- [options]   (or node dist/gateway/demo/run-demo.js [options])

  --gateway URL       gateway base URL (env DEMO_GATEWAY_URL, default http://127.0.0.1:8080)
  --count N           number of submissions, one resubmission included (env DEMO_COUNT, default 40)
  --timeout SECONDS   how long to wait for every claim to reach a final state (default 60)
  --seed N            seed of the scenario mix (default 1)
  --concurrency N     requests in flight at a time (default 4)
  -h, --help          this text`;

const optionsSchema = z.object({
  gateway: z.url().transform((url) => url.replace(/\/+$/, '')),
  count: z.coerce.number().int().min(1).max(1000),
  timeout: z.coerce.number().positive().max(3600),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1),
  concurrency: z.coerce.number().int().min(1).max(32),
});
type DemoOptions = z.infer<typeof optionsSchema>;

/** A problem that ends the demo with a message for the person running it (no stack trace). */
class DemoStop extends Error {}

/** Reads flags, then the DEMO_* environment, then defaults; throws DemoStop naming every bad value. */
function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        gateway: { type: 'string' }, count: { type: 'string' }, timeout: { type: 'string' },
        seed: { type: 'string' }, concurrency: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new DemoStop(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  const parsed = optionsSchema.safeParse({
    gateway: values.gateway ?? env.DEMO_GATEWAY_URL ?? 'http://127.0.0.1:8080',
    count: values.count ?? env.DEMO_COUNT ?? 40,
    timeout: values.timeout ?? 60,
    seed: values.seed ?? 1,
    concurrency: values.concurrency ?? 4,
  });
  if (!parsed.success) {
    const envName: Record<string, string> = { gateway: ' (or DEMO_GATEWAY_URL)', count: ' (or DEMO_COUNT)' };
    const problems = parsed.error.issues.map((i) => `  --${i.path.join('.')}${envName[String(i.path[0])] ?? ''}: ${i.message}`).join('\n');
    throw new DemoStop(`Invalid options:\n${problems}\n\n${USAGE}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------------
// HTTP: tokens and requests

interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** Fails with a clear message when nothing answers at the gateway's address. */
async function checkReachable(gateway: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${gateway}/healthz`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new DemoStop(`The gateway does not answer at ${gateway} (${describeNetworkError(err)}).\n`
      + 'Start it with npm start (demo mode, the default) in another shell, or point --gateway / DEMO_GATEWAY_URL at it.');
  }
  if (!response.ok) {
    throw new DemoStop(`${gateway}/healthz answered HTTP ${response.status}: is this a Passerelle gateway? Start one with npm start.`);
  }
}

/** A provider's bearer token, fetched with client credentials and renewed before it expires. */
class TokenSource {
  private cached?: { token: string; renewAt: number };
  private pending?: Promise<{ token: string; renewAt: number }>;

  constructor(private readonly gateway: string, private readonly clientId: string, private readonly secret: string) {}

  async get(): Promise<string> {
    if (this.cached && Date.now() < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => { this.pending = undefined; });
    this.cached = await this.pending;
    return this.cached.token;
  }

  /** Forgets the token (after a 401), so the next request gets a new one. */
  drop(): void {
    this.cached = undefined;
  }

  private async fetchToken(): Promise<{ token: string; renewAt: number }> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.secret });
    const response = await fetch(`${this.gateway}/auth/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const answer = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error_description?: string };
    if (!response.ok || !answer.access_token) {
      throw new DemoStop(`The gateway refused the demo client ${this.clientId} (HTTP ${response.status}${answer.error_description ? `: ${answer.error_description}` : ''}).\n`
        + 'Is it running in demo mode (PASSERELLE_MODE=demo, the default of npm start)?');
    }
    const lifetime = answer.expires_in ?? 300;
    // Renew 30 s before expiry, or a tenth of the lifetime when it is short, plus 1 s because the token's
    // exp is counted in whole seconds from when it was issued.
    return { token: answer.access_token, renewAt: Date.now() + (lifetime - Math.min(30, lifetime / 10) - 1) * 1000 };
  }
}

/** The parsed body, or undefined when it is empty or not JSON (e.g. an error page of a proxy). */
function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** The gateway's FHIR API as one demo provider or the other sees it. */
class GatewayClient {
  private readonly tokens = new Map<DemoProvider, TokenSource>();

  constructor(readonly gateway: string) {}

  /** Gets a token for each provider now, so a refused client stops the demo before anything is sent. */
  async signIn(providers: Iterable<DemoProvider>): Promise<void> {
    for (const provider of new Set(providers)) await this.tokenSource(provider).get();
  }

  /** Sends a request with the provider's token; a 401 drops the token and tries once more. */
  async request(provider: DemoProvider, path: string, init: RequestInit = {}): Promise<HttpAnswer> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokenSource(provider).get();
      const response = await fetch(`${this.gateway}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}`, Accept: 'application/fhir+json' },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (response.status === 401 && attempt === 1) {
        this.tokenSource(provider).drop();
        continue;
      }
      return { status: response.status, headers: response.headers, body: parseJson(await response.text()) };
    }
  }

  private tokenSource(provider: DemoProvider): TokenSource {
    let source = this.tokens.get(provider);
    if (!source) {
      source = new TokenSource(this.gateway, provider, `${provider}-secret`);
      this.tokens.set(provider, source);
    }
    return source;
  }
}

// ---------------------------------------------------------------------------------------------------
// Progress: bars on a terminal, plain lines otherwise

interface Progress {
  /** One more done; the line says what happened to it. */
  tick(line: string): void;
  stop(): void;
}

function startProgress(title: string, total: number, tty: boolean): Progress {
  if (!tty) {
    let done = 0;
    const width = String(total).length;
    console.log(`${title}: ${total} claim${total === 1 ? '' : 's'}`);
    return {
      tick: (line) => console.log(`  ${String(++done).padStart(width)}/${total} ${line}`),
      stop: () => console.log(''),
    };
  }
  const bars = new cliProgress.MultiBar({
    format: `${title.padEnd(12)} [{bar}] {value}/{total} {duration}s`, stream: process.stdout, hideCursor: true, barsize: 30,
  }, cliProgress.Presets.shades_classic);
  const bar = bars.create(total, 0);
  return {
    tick: (line) => { bars.log(`  ${line}\n`); bar.increment(); },
    stop: () => { bars.stop(); console.log(''); },
  };
}

/** Runs work over items, `size` at a time, keeping the results in order. */
async function inPool<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
  return results;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// Submission

/** What the gateway answered to one $submit. */
interface Submission {
  readonly scenario: DemoScenario;
  /** When the first attempt was sent (ms since the epoch). */
  readonly sentAt: number;
  /** Undefined when no HTTP answer came. */
  readonly httpStatus?: number;
  readonly claimId?: string;
  /** Id of the gateway's own "queued" ClaimResponse. */
  readonly acceptedResponseId?: string;
  readonly problem?: string;
}

function label(scenario: DemoScenario): string {
  return `#${String(scenario.index + 1).padStart(2, '0')}`;
}

function scenarioName(scenario: DemoScenario): string {
  return scenario.duplicateOf === undefined ? scenario.kind : `resubmission of #${String(scenario.duplicateOf + 1).padStart(2, '0')}`;
}

function outcomeText(body: unknown): string {
  const outcome = body as OperationOutcome | undefined;
  const texts = (outcome?.issue ?? []).map((i) => i.details?.text ?? i.diagnostics).filter(Boolean);
  return texts.length > 0 ? texts.join('; ') : 'no details';
}

/** Submits one bundle; a network error or a 5xx is retried once with the same Idempotency-Key. */
async function submitClaim(client: GatewayClient, scenario: DemoScenario, body: string): Promise<Submission> {
  const key = scenario.duplicateOf === undefined ? scenario.identifier.value : `${scenario.identifier.value}-resubmitted`;
  const init = { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', 'Idempotency-Key': key }, body };
  const sentAt = Date.now();
  let answer: HttpAnswer | undefined;
  let problem = '';
  for (let attempt = 1; attempt <= 2 && (!answer || answer.status >= 500); attempt++) {
    if (attempt > 1) await sleep(500);
    try {
      answer = await client.request(scenario.provider, '/fhir/Claim/$submit', init);
    } catch (err) {
      if (err instanceof DemoStop) throw err;
      problem = `no answer (${describeNetworkError(err)})`;
    }
  }
  if (!answer) return { scenario, sentAt, problem };
  if (answer.status !== 202) return { scenario, sentAt, httpStatus: answer.status, problem: outcomeText(answer.body) };
  const response = answer.body as ClaimResponse;
  const claimId = /Claim\/([^/]+)$/.exec(response.request?.reference ?? answer.headers.get('location') ?? '')?.[1];
  return { scenario, sentAt, httpStatus: 202, claimId, acceptedResponseId: response.id, problem: claimId ? undefined : 'no claim id in the answer' };
}

function submissionLine(s: Submission, original?: Submission): string {
  const { scenario } = s;
  const head = `${label(scenario)} ${scenario.provider} → ${scenario.insurer} ${scenario.member} ${scenarioName(scenario)}:`;
  if (s.httpStatus !== 202 || !s.claimId) return `${head} ${s.httpStatus ?? 'no answer'} ${s.problem ?? ''}`.trimEnd();
  if (original) {
    const same = original.claimId === s.claimId;
    return `${head} 202 ${same ? 'duplicate: the original answer again' : 'a NEW claim: the duplicate was not recognised'} (Claim/${s.claimId})`;
  }
  return `${head} 202 accepted as Claim/${s.claimId}`;
}

/** Submits every claim, a few at a time; the resubmission goes last, once its original was answered. */
async function submitAll(client: GatewayClient, scenarios: readonly DemoScenario[], now: Date, options: DemoOptions, tty: boolean): Promise<Submission[]> {
  const progress = startProgress('Submission', scenarios.length, tty);
  const bodies = scenarios.map((s) => JSON.stringify(buildClaimBundle(s, now)));
  const submitted: Submission[] = [];
  const send = async (scenario: DemoScenario) => {
    const submission = await submitClaim(client, scenario, bodies[scenario.index]!);
    const original = scenario.duplicateOf === undefined ? undefined : submitted.find((x) => x.scenario.index === scenario.duplicateOf);
    progress.tick(submissionLine(submission, original));
    submitted.push(submission);
    return submission;
  };
  try {
    await inPool(scenarios.filter((s) => s.duplicateOf === undefined), options.concurrency, send);
    await inPool(scenarios.filter((s) => s.duplicateOf !== undefined), 1, send);
  } finally {
    progress.stop();
  }
  return [...submitted].sort((a, b) => a.scenario.index - b.scenario.index);
}

// ---------------------------------------------------------------------------------------------------
// Adjudication: polling each claim until its status is final

/** Where a claim got to. */
interface ClaimProgress {
  readonly status?: ClaimStatus;
  readonly final: boolean;
  /** accepted → delivered → [pended →] final status */
  readonly path: string[];
  readonly outcome?: string;
  readonly disposition?: string;
  readonly benefit?: number;
  readonly seconds?: number;
}

function processingStatus(claim: Claim): ClaimStatus | undefined {
  return claim.extension?.find((e) => e.url === PROCESSING_STATUS_EXTENSION)?.valueCode as ClaimStatus | undefined;
}

function totalOf(response: ClaimResponse | undefined, category: string): number | undefined {
  const total = response?.total?.find((t) => t.category.coding?.some((c) => c.system === ADJUDICATION && c.code === category));
  return total?.amount?.value;
}

/** The claim's path and answer, from its final status and the ClaimResponses the gateway holds. */
function progressOf(submission: Submission, claim: Claim, responses: ClaimResponse[]): ClaimProgress {
  const status = processingStatus(claim)!;
  const fromInsurer = responses.filter((r) => r.id !== submission.acceptedResponseId);
  const answer = [...fromInsurer].reverse().find((r) => r.outcome !== 'queued') ?? fromInsurer.at(-1);
  const path = ['accepted', ...(fromInsurer.length > 0 ? ['delivered'] : []),
    ...(fromInsurer.some((r) => r.outcome === 'queued') ? ['pended'] : []), status];
  const queuedAt = Date.parse(responses.find((r) => r.id === submission.acceptedResponseId)?.created ?? '');
  const answeredAt = Date.parse(claim.meta?.lastUpdated ?? '');
  // Both instants come from the gateway's clock; without them, what the demo measured.
  const seconds = Number.isFinite(queuedAt) && answeredAt >= queuedAt ? (answeredAt - queuedAt) / 1000 : (Date.now() - submission.sentAt) / 1000;
  return { status, final: true, path, outcome: answer?.outcome, disposition: answer?.disposition, benefit: totalOf(answer, 'benefit'), seconds };
}

/** Reads the claim's status once; when final, also its responses. */
async function checkClaim(client: GatewayClient, s: Submission, previous: ClaimProgress | undefined): Promise<ClaimProgress> {
  const keep = previous ?? { final: false, path: ['accepted'] };
  try {
    const read = await client.request(s.scenario.provider, `/fhir/Claim/${s.claimId}`);
    const claim = read.body as Claim;
    const status = read.status === 200 ? processingStatus(claim) : undefined;
    if (!status || !FINAL_STATUSES.has(status)) return { ...keep, status: status ?? keep.status };
    const search = await client.request(s.scenario.provider, `/fhir/ClaimResponse?request=${encodeURIComponent(`Claim/${s.claimId}`)}`);
    const responses = ((search.body as Bundle | undefined)?.entry ?? []).map((e) => e.resource as ClaimResponse);
    return progressOf(s, claim, responses);
  } catch (err) {
    if (err instanceof DemoStop) throw err;
    return keep; // a failed poll is tried again at the next round
  }
}

function answerLine(s: Submission, p: ClaimProgress): string {
  const benefit = p.benefit === undefined ? '' : `, benefit ${xof(p.benefit)} XOF`;
  return `${label(s.scenario)} ${p.path.join(' → ')} in ${p.seconds?.toFixed(2) ?? '?'} s${benefit}`;
}

/**
 * Polls every accepted claim (each at most every 250 ms, a few requests at a time) until all are final
 * or the timeout passes. The resubmission shares its original's claim, so it is followed once.
 */
async function followAll(client: GatewayClient, submissions: readonly Submission[], options: DemoOptions, tty: boolean): Promise<Map<string, ClaimProgress>> {
  const claims = submissions.filter((s, i) => s.claimId && !submissions.slice(0, i).some((o) => o.claimId === s.claimId));
  const results = new Map<string, ClaimProgress>();
  const progress = startProgress('Adjudication', claims.length, tty);
  const deadline = Date.now() + options.timeout * 1000;
  let waiting = claims;
  try {
    while (waiting.length > 0 && Date.now() < deadline) {
      const roundStart = Date.now();
      const seen = await inPool(waiting, options.concurrency, (s) => checkClaim(client, s, results.get(s.claimId!)));
      waiting.forEach((s, i) => {
        results.set(s.claimId!, seen[i]!);
        if (seen[i]!.final) progress.tick(answerLine(s, seen[i]!));
      });
      waiting = waiting.filter((_, i) => !seen[i]!.final);
      if (waiting.length > 0) await sleep(Math.max(0, POLL_INTERVAL_MS - (Date.now() - roundStart)));
    }
  } finally {
    progress.stop();
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------
// Summary

/** An amount in whole francs with spaces between thousands, as written in Senegal. */
function xof(amount: number | undefined): string {
  return amount === undefined ? '—' : String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** A plain-text table; columns listed in `right` are right-aligned. */
function renderTable(headers: readonly string[], rows: readonly string[][], right: ReadonlySet<number>): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

interface Row {
  readonly submission: Submission;
  readonly progress?: ClaimProgress;
}

function finalStatusOf(row: Row): string {
  if (row.submission.httpStatus !== 202) return 'not accepted';
  return row.progress?.final ? row.progress.status! : `${row.progress?.status ?? 'accepted'} (no final answer)`;
}

function claimTable(rows: readonly Row[]): string {
  const headers = ['#', 'Provider', 'Insurer', 'Member', 'Scenario', 'HTTP', 'Status', 'Outcome', 'Submitted', 'Benefit XOF', 'Seconds'];
  const cells = rows.map(({ submission: s, progress: p }) => [
    label(s.scenario).slice(1), s.scenario.provider, s.scenario.insurer, s.scenario.member, scenarioName(s.scenario),
    String(s.httpStatus ?? '—'), finalStatusOf({ submission: s, progress: p }), p?.outcome ?? '—',
    xof(s.scenario.total), xof(p?.benefit), p?.seconds === undefined ? '—' : p.seconds.toFixed(2),
  ]);
  return renderTable(headers, cells, new Set([0, 5, 8, 9, 10]));
}

/** Totals grouped by a key: claims, amount submitted and benefit. Each gateway claim counts once. */
function totalsTable(title: string, rows: readonly Row[], keyOf: (row: Row) => string): string {
  const groups = new Map<string, { claims: number; submitted: number; benefit: number }>();
  for (const row of rows.filter((r) => r.submission.scenario.duplicateOf === undefined)) {
    const group = groups.get(keyOf(row)) ?? { claims: 0, submitted: 0, benefit: 0 };
    groups.set(keyOf(row), {
      claims: group.claims + 1, submitted: group.submitted + row.submission.scenario.total, benefit: group.benefit + (row.progress?.benefit ?? 0),
    });
  }
  const cells = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([key, g]) => [key, String(g.claims), xof(g.submitted), xof(g.benefit)]);
  const sum = [...groups.values()].reduce((t, g) => ({ claims: t.claims + g.claims, submitted: t.submitted + g.submitted, benefit: t.benefit + g.benefit }), { claims: 0, submitted: 0, benefit: 0 });
  cells.push(['total', String(sum.claims), xof(sum.submitted), xof(sum.benefit)]);
  return renderTable([title, 'Claims', 'Submitted XOF', 'Benefit XOF'], cells, new Set([1, 2, 3]));
}

/** Claims whose final answer differs from what the sandbox's documented rules predict. */
function surprises(rows: readonly Row[]): string[] {
  return rows.flatMap(({ submission: s, progress: p }) => {
    const original = rows.find((r) => r.submission.scenario.index === s.scenario.duplicateOf)?.submission;
    if (original?.claimId && s.claimId && original.claimId !== s.claimId) {
      return [`${label(s.scenario)} the resubmission became a new claim instead of the duplicate answer`];
    }
    if (!p?.final) return [];
    const { expected } = s.scenario;
    const benefitDiffers = expected.benefit !== undefined && p.benefit !== undefined && p.benefit !== expected.benefit;
    if (p.status === expected.status && !benefitDiffers) return [];
    const withBenefit = (benefit: number | undefined) => (benefit === undefined ? '' : ` with benefit ${xof(benefit)}`);
    const why = p.disposition ? ` (${p.disposition})` : '';
    return [`${label(s.scenario)} expected ${expected.status}${withBenefit(expected.benefit)}, got ${p.status}${withBenefit(p.benefit)}${why}`];
  });
}

function printSummary(rows: readonly Row[]): void {
  console.log(claimTable(rows));
  console.log('');
  console.log(totalsTable('Insurer', rows, (r) => r.submission.scenario.insurer));
  console.log('');
  console.log(totalsTable('Final status', rows, finalStatusOf));
  console.log('(Totals count each claim once: the resubmission is the same claim.)\n');
  const unexpected = surprises(rows);
  if (unexpected.length > 0) console.log(`Answers that differ from the sandbox rules (docs/sandbox.md):\n  ${unexpected.join('\n  ')}\n`);
}

/** The exit code, with a last line saying why. */
function verdict(rows: readonly Row[], timeoutSeconds: number): number {
  const refused = rows.filter((r) => r.submission.httpStatus !== 202);
  const unfinished = rows.filter((r, i) => r.submission.httpStatus === 202 && !r.progress?.final
    && rows.findIndex((o) => o.submission.claimId === r.submission.claimId) === i);
  if (refused.length === 0 && unfinished.length === 0) {
    console.log(`All ${rows.length} submissions were accepted (202) and every claim reached a final state.`);
    return 0;
  }
  if (refused.length > 0) console.log(`${refused.length} submission(s) not accepted: ${refused.map((r) => label(r.submission.scenario)).join(' ')}`);
  if (unfinished.length > 0) {
    console.log(`${unfinished.length} claim(s) without a final state after ${timeoutSeconds} s: ${unfinished.map((r) => label(r.submission.scenario)).join(' ')}`);
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------------
// Main

/** A run id for claim identifiers: the start time to the millisecond, digits only. */
function runIdOf(now: Date): string {
  return now.toISOString().replace(/\D/g, '').slice(0, 17);
}

/** Runs the demo; returns the exit code. */
async function runDemo(options: DemoOptions, tty: boolean): Promise<number> {
  await checkReachable(options.gateway);
  const now = new Date();
  const scenarios = buildScenarios({ count: options.count, seed: options.seed, runId: runIdOf(now) });
  const client = new GatewayClient(options.gateway);
  await client.signIn(scenarios.map((s) => s.provider));
  console.log(`Passerelle demo: ${scenarios.length} submissions (seed ${options.seed}) through ${options.gateway}, `
    + `claim identifiers DEMO-${runIdOf(now)}-NNN\n`);
  const submissions = await submitAll(client, scenarios, now, options, tty);
  const answers = await followAll(client, submissions, options, tty);
  const rows = submissions.map((s) => ({ submission: s, progress: s.claimId ? answers.get(s.claimId) : undefined }));
  printSummary(rows);
  return verdict(rows, options.timeout);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  return runDemo(options, Boolean(process.stdout.isTTY));
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(err instanceof DemoStop ? err.message : (err as Error).stack ?? String(err));
    process.exitCode = 1;
  },
);
