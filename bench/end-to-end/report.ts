/** The end-to-end benchmark's tables, summary and sections, from its raw figures. */
import { median, scoreTable, type Timing } from '../harness/measure.js';
import { figure } from '../harness/report.js';
import type { ComparisonTable, ReportSection } from '../harness/types.js';
import type { PhaseProgress } from './answers.js';
import type { BareQueueRun } from './baseline.js';
import type { CpuUse } from './cpu.js';
import type { LoadResult } from './load.js';

export const BARE = 'bare BullMQ';
export const BARE_BACKLOG = 'bare BullMQ, jobs waiting';
export const ONE_API = '1 API process';
export const TARGET_RATIO = 0.5;

export type Topology = 'all' | 'split';

/** What a load run saw, without the request counter. */
export type LoadSummary = Omit<LoadResult, 'nextIndex'>;

/** One end-to-end run: N claims submitted to one deployment, until every one has its insurer answer. */
export interface EndToEndRun {
  readonly topology: Topology;
  readonly load: LoadSummary;
  /** First request sent to the poll that saw the last claim settled. */
  readonly totalMs: number;
  /** Answered claims ÷ totalMs. */
  readonly claimsPerSecond: number;
  readonly progress: PhaseProgress;
  /** The wait gave up: some claims never settled. */
  readonly stalled: boolean;
  /** Claims with an insurer ClaimResponse in claim_responses. */
  readonly insurerResponses: number;
  /** Acceptance to the insurer's answer, per claim, from claim_events (null when none was answered). */
  readonly answerLatency: Timing | null;
  /** First acceptance to last answer on PostgreSQL's clock. */
  readonly databaseSpanMs: number | null;
  /** Claims whose answer was read back through GET /fhir/ClaimResponse?request=Claim/{id}. */
  readonly apiCheck: { readonly checked: number; readonly answered: number };
  /** CPU of every process taking part, from the first submission to the last answer. */
  readonly cpu: CpuUse;
}

/** A bare BullMQ run with the CPU Redis and the benchmark process used meanwhile. */
export type MeteredBareRun = BareQueueRun & { readonly cpu: CpuUse };

/** Ingest alone: API processes only (no worker), autocannon for a fixed duration. */
export interface IngestRun {
  readonly processes: number;
  readonly load: LoadSummary;
  /** Claims of the run found in the database afterwards. */
  readonly stored: number;
  /** CPU of every process taking part, during the measured load. */
  readonly cpu: CpuUse;
}

/** Delivery alone: one worker process started on the claims the ingest runs left waiting. */
export interface DrainRun {
  /** Claims waiting when the worker was started. */
  readonly backlog: number;
  /** Claims settled between the worker being ready and the end. */
  readonly settledWhileTimed: number;
  readonly ms: number;
  readonly perSecond: number;
  readonly progress: PhaseProgress;
  readonly stalled: boolean;
  /** Spawn to ready (start-up: migrations checked, registry read, workers started). */
  readonly startupMs: number;
  /** CPU of every process taking part, from ready to the last answer. */
  readonly cpu: CpuUse;
}

export interface EndToEndFigures {
  readonly claims: number;
  readonly warmupClaims: number;
  readonly connections: number;
  readonly deliveryConcurrency: number;
  readonly cores: number;
  readonly bodyBytes: number;
  readonly pollMs: number;
  readonly ingestSeconds: number;
  readonly ingestWarmupSeconds: number;
  readonly runs: readonly EndToEndRun[];
  /** Bare BullMQ runs with the claims' count, the worker running while jobs are added. */
  readonly bare: readonly MeteredBareRun[];
  readonly ingest: readonly IngestRun[];
  readonly drain: DrainRun | null;
  /** Bare BullMQ with the drain's backlog added first. */
  readonly bareBacklog: MeteredBareRun | null;
  /** Where CPU profiles were written, when asked for. */
  readonly cpuProfileDir?: string;
  /** Each gateway process's profile, split into parts of the work (ms of samples), when profiles were taken. */
  readonly profiles?: ReadonlyArray<{ readonly process: string; readonly parts: Readonly<Record<string, number>> }>;
}

const TOPOLOGY_LABEL: Record<Topology, string> = { all: 'one process (role all)', split: 'API process + worker process' };
const n = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : value >= 100 ? `${n(value)} ms` : `${value.toFixed(1)} ms`);

/** The median bare run by throughput (its latency goes with it). */
export function medianBare<T extends BareQueueRun>(runs: readonly T[]): T | null {
  if (runs.length === 0) return null;
  const rate = median(runs.map((r) => r.perSecond));
  return [...runs].sort((a, b) => Math.abs(a.perSecond - rate) - Math.abs(b.perSecond - rate))[0]!;
}

/**
 * The pace of two stages that take turns on the same CPU: each claim costs 1/a + 1/b seconds of the
 * machine, so together they manage 1 / (1/a + 1/b) claims/s.
 */
export function sharedCpuPace(a: number, b: number): number | null {
  return a > 0 && b > 0 ? 1 / (1 / a + 1 / b) : null;
}

/** The tables and the one-line verdict. */
export function endToEndTables(f: EndToEndFigures): { tables: ComparisonTable[]; summary: string } {
  const bare = medianBare(f.bare);
  const throughput = scoreTable({
    title: `End to end: ${n(f.claims)} claims from submission to the insurer's ClaimResponse`, subjectLabel: 'Deployment', unit: 'claims/s',
    better: 'higher', ratioMeaning: 'faster', baselines: [BARE], target: { baseline: BARE, minRatio: TARGET_RATIO },
    rows: f.runs.map((r) => ({ subject: TOPOLOGY_LABEL[r.topology], metric: 'claims/s', ours: r.claimsPerSecond, baselines: { [BARE]: bare?.perSecond ?? null } })),
    notes: [
      `Passerelle: ${n(f.claims)} claims POSTed to /fhir/Claim/$submit by ${f.connections} connections (autocannon), each with its own Claim.identifier, to real gateway processes; the clock runs from the first request to the moment every claim has its insurer answer (claims.status complete, partial or error, polled in PostgreSQL every ${f.pollMs} ms). The sandbox insurer, in its own process, answers at once.`,
      `${BARE}: \`Queue.addBulk\` of as many jobs shaped as delivery jobs (batches of 1,000) while one \`Worker\` with the same concurrency (${f.deliveryConcurrency}) and a processor that does nothing takes them, on the same Redis; the clock runs from the first add to the last job completed. Median of ${f.bare.length} runs${f.bare.length ? `: ${f.bare.map((b) => n(b.perSecond)).join(', ')} jobs/s` : ''}.`,
    ],
  });
  const tables = [throughput];
  if (f.drain && f.bareBacklog) {
    tables.push(scoreTable({
      title: `Delivery alone: one worker process, ${n(f.drain.backlog)} claims waiting`, subjectLabel: 'Deployment', unit: 'claims/s', better: 'higher',
      ratioMeaning: 'faster', baselines: [BARE_BACKLOG],
      rows: [{ subject: 'worker process (role worker)', metric: 'claims/s', ours: f.drain.perSecond, baselines: { [BARE_BACKLOG]: f.bareBacklog.perSecond } }],
      notes: [
        `Passerelle: the claims left waiting by the ingest runs below (no worker was running), then one worker process started; the clock runs from the moment it is ready (start-up took ${ms(f.drain.startupMs)}; claims it settled before then are not counted) to the last claim answered. Nothing else runs but PostgreSQL, Redis and the sandbox.`,
        `${BARE_BACKLOG}: as many jobs added first, then one Worker (concurrency ${f.deliveryConcurrency}, a processor that does nothing) started; the clock runs from its start to the last job completed.`,
      ],
    }));
  }
  const single = f.ingest.find((r) => r.processes === 1);
  if (f.ingest.length > 0) {
    tables.push(scoreTable({
      title: `Ingest alone: POST /fhir/Claim/$submit, ${f.connections} connections, ${f.ingestSeconds} s`, subjectLabel: 'API processes', unit: 'claims/s',
      better: 'higher', ratioMeaning: 'faster', baselines: [ONE_API],
      rows: f.ingest.map((r) => ({ subject: r.processes === 1 ? ONE_API : `${r.processes} API processes`, metric: '202/s', ours: r.load.acceptedPerSecond, baselines: { [ONE_API]: single?.load.acceptedPerSecond ?? null } })),
      notes: [
        'API-only processes (PASSERELLE_ROLE=api) and no worker: each accepted claim is validated, written with its outbox row in one transaction, and its delivery job added to Redis, where it waits.',
        `Two processes: no load balancer; two autocannon instances in the benchmark process run at once, one per port, each with half the connections, and their counts are summed (a balancer would be one more process on the same ${f.cores} cores). Each run is preceded by ${f.ingestWarmupSeconds} s of unmeasured load on the same ports.`,
        `Ratio: how many times the ingest of one API process; p50/p99 of the 202: ${f.ingest.map((r) => `${r.processes} process${r.processes > 1 ? 'es' : ''} ${ms(r.load.latency?.p50Ms)}/${ms(r.load.latency?.p99Ms)}`).join(', ')}.`,
      ],
    }));
  }
  return { tables, summary: summaryLine(f, throughput) };
}

function summaryLine(f: EndToEndFigures, throughput: ComparisonTable): string {
  const met = throughput.rows.length > 0 && throughput.rows.every((r) => r.targetMet === true);
  const rows = throughput.rows.map((r) => `${n(r.ours ?? 0)} claims/s ${r.subject} (${r.ratios[BARE]?.toFixed(2) ?? 'n/a'}×)`).join(', ');
  const bare = medianBare(f.bare);
  const one = f.ingest.find((r) => r.processes === 1)?.load.acceptedPerSecond;
  const two = f.ingest.find((r) => r.processes === 2)?.load.acceptedPerSecond;
  const ingest = one !== undefined && two !== undefined ? ` Ingest alone: ${n(one)} claims/s with 1 API process, ${n(two)} with 2 (${(two / one).toFixed(2)}× on ${f.cores} cores).` : '';
  const problems = f.runs.reduce((sum, r) => sum + (r.load.responses - r.load.accepted) + r.load.errors + (r.progress.total - r.progress.answered), 0);
  return `${met ? 'Target met' : '**Target missed**'}: end to end ${rows} against ${BARE}'s ${n(bare?.perSecond ?? 0)} jobs/s (≥ ${TARGET_RATIO}× wanted).${ingest}`
    + (problems > 0 ? ` **${n(problems)} submissions failed or went unanswered** (see Findings).` : ' Every claim was accepted and answered.');
}

/**
 * Latency of the end-to-end runs, per claim: acceptance to insurer answer (claim_events), and the
 * submission's 202 as the client saw it. Whether claims queued up behind the worker decides what the
 * first figure means, so the section says which it was.
 */
export function latencySection(f: EndToEndFigures): ReportSection {
  const cell = (t: Timing | null, key: 'p50Ms' | 'p99Ms' | 'meanMs') => (t?.[key] === null || t?.[key] === undefined ? 'n/a' : figure(t[key]!));
  const lines = [
    'Per claim, in ms. Accepted → insurer answer: from the claim\'s "accepted" event (written in the submission\'s transaction, after parsing and validation) to the event of the insurer\'s outcome (written in the transaction that stores its ClaimResponse), both stamped by PostgreSQL. 202: the latency of POST /fhir/Claim/$submit as autocannon saw it.',
    '',
    '| Deployment | accepted → answer p50 | p99 | mean | 202 p50 | 202 p99 |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...f.runs.map((r) => `| ${TOPOLOGY_LABEL[r.topology]} | ${cell(r.answerLatency, 'p50Ms')} | ${cell(r.answerLatency, 'p99Ms')} | ${cell(r.answerLatency, 'meanMs')} | ${cell(r.load.latency, 'p50Ms')} | ${cell(r.load.latency, 'p99Ms')} |`),
    '',
    ...f.runs.map((r) => {
      const lagMs = r.totalMs - r.load.durationMs;
      return `- ${TOPOLOGY_LABEL[r.topology]}: ${lagMs <= 1000
        ? `the last answer came ${n(lagMs)} ms after the last 202: delivery kept up with intake, so claims did not pile up in the queue, and accepted → answer is the time one claim takes through queue, worker, insurer and the answer's transaction on a machine this busy.`
        : `the last answer came ${(lagMs / 1000).toFixed(1)} s after the last 202: claims were accepted faster than delivered and waited in the queue behind earlier ones, so accepted → answer grows through the run and its p99 is a backlog figure.`}`
        + ` With ${f.connections} connections always busy, the 202's latency is mostly requests waiting their turn: ${f.connections} ÷ ${n(r.load.acceptedPerSecond)} claims/s ≈ ${n((1000 * f.connections) / Math.max(1, r.load.acceptedPerSecond))} ms.`;
    }),
  ];
  const bare = medianBare(f.bare);
  if (bare) lines.push(`- For reference, ${BARE}'s jobs waited ${figure(bare.latency.p50Ms)} ms (p50) from creation to completion in its median run, all ${n(bare.jobs)} added in one burst: a queue's wait under a burst, not comparable with a claim's path.`);
  return { title: 'Latency', lines };
}

/** CPU ms per claim of a phase: every part, and the parts whose name starts with a prefix. */
function perClaim(cpu: CpuUse, claims: number, prefix = ''): number {
  return Object.entries(cpu.byPart).filter(([part]) => part.startsWith(prefix)).reduce((sum, [, v]) => sum + v, 0) / Math.max(1, claims);
}

const fixed = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cores = (cpu: CpuUse) => (Object.values(cpu.byPart).reduce((sum, v) => sum + v, 0) / Math.max(1, cpu.wallMs)).toFixed(2);

/** What the figures say beyond the tables. */
export function findingsSection(f: EndToEndFigures): ReportSection {
  const lines: string[] = [];
  for (const r of f.runs) lines.push(runLine(f, r));
  lines.push(...costLines(f));
  const one = f.ingest.find((r) => r.processes === 1);
  const two = f.ingest.find((r) => r.processes === 2);
  if (one && f.drain) {
    const pace = sharedCpuPace(one.load.acceptedPerSecond, f.drain.perSecond);
    const best = Math.max(...f.runs.map((r) => r.claimsPerSecond));
    lines.push(`- The two halves: the API alone accepts ${n(one.load.acceptedPerSecond)} claims/s and one worker alone delivers ${n(f.drain.perSecond)} claims/s; `
      + `if each claim's API work and delivery work took turns on the same ${f.cores} cores, the pair would manage 1 / (1/${n(one.load.acceptedPerSecond)} + 1/${n(f.drain.perSecond)}) = ${n(pace ?? 0)} claims/s, and end to end measured ${n(best)}. `
      + sharingVerdict(best, pace));
  }
  const all = f.runs.find((r) => r.topology === 'all');
  if (all) {
    const gateway = perClaim(all.cpu, all.progress.answered, 'gateway');
    lines.push(`- One process (role all) runs the whole gateway side of a claim, ${fixed(gateway)} ms of CPU, on one event loop: at most ${n(1000 / gateway)} claims/s however many cores are free; it measured ${n(all.claimsPerSecond)}. `
      + 'With the roles apart, the API and the worker each have an event loop (and a PostgreSQL pool of 10) of their own.');
  }
  if (one && two) {
    const gain = two.load.acceptedPerSecond / one.load.acceptedPerSecond;
    const busy = Object.values(one.cpu.byPart).reduce((sum, v) => sum + v, 0) / one.cpu.wallMs;
    const apiCores = (one.cpu.byPart['gateway API'] ?? 0) / one.cpu.wallMs;
    lines.push(`- Second API process: ${gain.toFixed(2)}× the ingest of one (${n(one.load.acceptedPerSecond)} → ${n(two.load.acceptedPerSecond)} claims/s; p99 of the 202 ${ms(one.load.latency?.p99Ms)} → ${ms(two.load.latency?.p99Ms)}). `
      + `With one API process, that process used ${apiCores.toFixed(2)} of a core and all the processes taking part ${busy.toFixed(2)} of the ${f.cores} cores; `
      + `${secondProcessVerdict(gain, apiCores, busy / f.cores, noisyPhases(f).some((p) => p.startsWith('ingest')))} `
      + `What it buys on any machine: intake survives one API process restarting or failing. With cores to spare (or API processes on hosts of their own) ingest grows with the processes until PostgreSQL saturates: on ingest it spent ${fixed(perClaim(one.cpu, one.stored, 'PostgreSQL'))} ms of CPU per claim against the API process's ${fixed(perClaim(one.cpu, one.stored, 'gateway'))} ms.`);
    lines.push(ingestCheck(f.ingest));
  }
  if (f.drain) {
    lines.push(`- Backlog: the worker started on ${n(f.drain.backlog)} waiting claims settled them all${f.drain.stalled ? ' **except some (the wait gave up)**' : ''}; claims by status at the end (every phase): ${Object.entries(f.drain.progress.byStatus).map(([s, k]) => `${s} ${n(k)}`).join(', ')}.`);
  }
  const noisy = noisyPhases(f);
  if (noisy.length > 0) lines.push(`- **Other work shared the machine** during ${noisy.join(', ')} (the whole machine's busy cores well above those of the processes measured, see "Where the CPU goes"): those phases' rates are lower than an idle machine gives; their CPU per claim is the sounder figure.`);
  if (f.cpuProfileDir) lines.push(`- CPU profiles of the gateway processes of this run were written to ${f.cpuProfileDir} (BENCH_E2E_CPU_PROF).`);
  return { title: 'Findings', lines };
}

function runLine(f: EndToEndFigures, r: EndToEndRun): string {
  const status = Object.entries(r.progress.byStatus).map(([s, k]) => `${s} ${n(k)}`).join(', ');
  const refused = Object.entries(r.load.statusCounts).filter(([s]) => !s.startsWith('2')).map(([s, k]) => `HTTP ${s} × ${n(k)}`);
  return `- ${TOPOLOGY_LABEL[r.topology]}: ${n(r.load.accepted)} of ${n(f.claims)} submissions accepted${refused.length ? ` (refused: ${refused.join(', ')})` : ''}${r.load.errors ? `, ${n(r.load.errors)} connection errors (${n(r.load.timeouts)} timeouts)` : ''}; claims by status: ${status}; `
    + `${n(r.insurerResponses)} with an insurer ClaimResponse stored${r.stalled ? '; **the wait gave up, some claims never settled**' : ''}; answers read back through GET /fhir/ClaimResponse?request=Claim/{id}: ${r.apiCheck.answered}/${r.apiCheck.checked}. `
    + `Submitting took ${(r.load.durationMs / 1000).toFixed(1)} s (${n(r.load.acceptedPerSecond)} claims/s accepted); the last answer came ${((r.totalMs - r.load.durationMs) / 1000).toFixed(1)} s after the last submission (on PostgreSQL's clock, first acceptance to last answer: ${ms(r.databaseSpanMs)}).`;
}

/** Why the target is where it is: CPU per claim against CPU per bare job. */
function costLines(f: EndToEndFigures): string[] {
  const bare = medianBare(f.bare);
  const best = [...f.runs].sort((a, b) => b.claimsPerSecond - a.claimsPerSecond)[0];
  if (!bare || !best) return [];
  const claims = best.progress.answered;
  const total = perClaim(best.cpu, claims);
  const part = (prefix: string) => fixed(perClaim(best.cpu, claims, prefix));
  const bareCost = perClaim(bare.cpu, bare.jobs);
  const lines = [
    `- Where the time goes: end to end (${TOPOLOGY_LABEL[best.topology]}) a claim cost ${fixed(total)} ms of CPU in all: the gateway ${part('gateway')} ms, PostgreSQL ${part('PostgreSQL')} ms (its backends ${part('PostgreSQL backends')}), Redis ${part('Redis')} ms, the sandbox insurer ${part('sandbox')} ms, the load generator ${part('benchmark')} ms. `
      + `A bare BullMQ job cost ${fixed(bareCost)} ms (Redis and the Node process adding and processing it), ${n(total / bareCost)} times less. `
      + `Both runs kept most of the ${f.cores} cores busy (${cores(best.cpu)} and ${cores(bare.cpu)}), so the throughput ratio is about the inverse of the CPU ratio: `
      + `the ${TARGET_RATIO}× target would need a claim to cost at most ${fixed(bareCost / TARGET_RATIO)} ms of CPU from submission to stored answer, everything included, while PostgreSQL alone spent ${part('PostgreSQL')} ms on each. `
      + 'No tuning of the gateway reaches that on this machine: the target compares a durable, validated, audited pipeline (several committed transactions and two HTTP exchanges per claim) with an in-memory hand-off between two Redis lists.',
  ];
  if (bare && f.bareBacklog) {
    lines.push(`- BullMQ itself is not the limit: the bare queue does ${n(bare.perSecond)} jobs/s with adds and processing at once and ${n(f.bareBacklog.perSecond)} jobs/s on a backlog, and Redis used ${part('Redis')} ms of CPU per claim in the end-to-end run, a few per cent of the total.`);
  }
  return lines;
}

/** Phases during which the whole machine was much busier than the processes measured. */
function noisyPhases(f: EndToEndFigures): string[] {
  const phases: Array<[string, CpuUse]> = [
    ...f.runs.map((r) => [`end to end (${TOPOLOGY_LABEL[r.topology]})`, r.cpu] as [string, CpuUse]),
    ...f.ingest.map((r) => [`ingest with ${r.processes} API process${r.processes > 1 ? 'es' : ''}`, r.cpu] as [string, CpuUse]),
    ...(f.drain ? [['delivery alone', f.drain.cpu] as [string, CpuUse]] : []),
  ];
  return phases.filter(([, cpu]) => {
    if (cpu.machineMs === null || cpu.wallMs <= 0) return false;
    const ours = Object.values(cpu.byPart).reduce((sum, v) => sum + v, 0);
    return (cpu.machineMs - ours) / cpu.wallMs > 0.3;
  }).map(([label]) => label);
}

/** What a second API process bought, from the ingest gain and how busy the first one and the machine were. */
export function secondProcessVerdict(gain: number, apiCores: number, machineShare: number, noisy: boolean): string {
  if (noisy) return 'other work shared the machine during these runs, and two processes simply win a larger share of a contended CPU than one: this gain says little about Passerelle.';
  if (machineShare >= 0.8) return `the machine was already close to saturated with one process, so the second ${gain >= 1.05 ? 'adds little' : 'adds nothing: it only splits the same cores between two event loops'}.`;
  if (apiCores >= 0.8) return `one process was held back by its own event loop (a core of its own) while cores were left; the second ${gain >= 1.3 ? 'uses them' : 'could use them but adds little: PostgreSQL and the load generator take the rest'}.`;
  return gain >= 1.3 ? 'neither the process nor the machine was saturated, so the gain comes from more requests in flight at once.' : 'the second process adds little.';
}

/** What the end-to-end rate says, next to the pace of the two halves taking turns on the CPU. */
function sharingVerdict(measured: number, pace: number | null): string {
  if (pace === null) return '';
  if (measured > pace * 1.25) return 'End to end does better than the two halves added up: each uses time the other leaves idle.';
  if (measured < pace * 0.75) return 'End to end does worse than the two halves added up: time goes to waiting, not only to CPU work.';
  return 'That is the pipeline being CPU-bound: submission and delivery compete for the same cores (with PostgreSQL, Redis, the sandbox and the load generator), so an end-to-end claim costs about the sum of both halves, not the slower one.';
}

/**
 * Whether every 202 of the ingest runs has its claim stored. A run that stops at a deadline leaves up
 * to one request per connection in flight: the gateway stores those claims but their 202 is not
 * counted, so a few more claims than 202s is expected; fewer would be a lost claim.
 */
export function ingestCheck(runs: readonly IngestRun[]): string {
  const lost = runs.filter((r) => r.stored < r.load.accepted);
  if (lost.length > 0) return `- **Claims missing after a 202**: ${lost.map((r) => `${r.processes} process(es): ${n(r.load.accepted)} accepted, ${n(r.stored)} stored`).join('; ')}.`;
  const extra = runs.map((r) => r.stored - r.load.accepted);
  return `- Every 202 of the ingest runs has its claim in the database (${runs.map((r) => `${n(r.load.accepted)} accepted, ${n(r.stored)} stored`).join('; ')}; `
    + `the ${extra.join(' and ')} more are requests still in flight when the load stopped, whose answers were not waited for).`;
}

/** A phase's CPU use and the claims it handled, for the CPU table. */
interface CpuColumn {
  readonly label: string;
  readonly claims: number;
  readonly cpu: CpuUse;
}

const PART_ORDER = ['gateway, role all', 'gateway API', 'gateway worker', 'PostgreSQL backends', 'PostgreSQL server processes', 'Redis', 'sandbox insurer'];

/**
 * CPU ms per claim of each part in each phase, the total, how many cores that kept busy, and the rate
 * the total allows on this machine's cores if nothing but CPU limited it.
 */
export function cpuSection(f: EndToEndFigures): ReportSection {
  const columns: CpuColumn[] = [
    ...f.runs.map((r) => ({ label: `end to end, ${TOPOLOGY_LABEL[r.topology]}`, claims: r.progress.answered, cpu: r.cpu })),
    ...f.ingest.map((r) => ({ label: `ingest, ${r.processes} API process${r.processes > 1 ? 'es' : ''}`, claims: r.stored, cpu: r.cpu })),
    ...(f.drain ? [{ label: 'delivery alone', claims: f.drain.settledWhileTimed, cpu: f.drain.cpu }] : []),
  ].filter((c) => c.claims > 0);
  if (columns.length === 0) return { title: 'Where the CPU goes', lines: ['- No phase handled a claim.'] };
  const parts = [...new Set(columns.flatMap((c) => Object.keys(c.cpu.byPart)))]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const perClaimOf = (c: CpuColumn, part: string) => (c.cpu.byPart[part] ?? 0) / c.claims;
  const total = (c: CpuColumn) => Object.values(c.cpu.byPart).reduce((sum, v) => sum + v, 0);
  const cell = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const row = (label: string, values: string[]) => `| ${label} | ${values.join(' | ')} |`;
  return {
    title: 'Where the CPU goes',
    lines: [
      `CPU time (user + system, from /proc) of each process taking part, per claim handled, in ms; the ${f.cores} cores are shared by all of them.`,
      '',
      row('Process', columns.map((c) => c.label)),
      `| --- |${columns.map(() => ' ---: |').join('')}`,
      ...parts.map((part) => row(part, columns.map((c) => (part in c.cpu.byPart ? cell(perClaimOf(c, part)) : '–')))),
      row('**all of them**', columns.map((c) => `**${cell(total(c) / c.claims)}**`)),
      row('cores kept busy', columns.map((c) => (total(c) / c.cpu.wallMs).toFixed(2))),
      row('cores busy on the whole machine', columns.map((c) => (c.cpu.machineMs === null ? 'n/a' : (c.cpu.machineMs / c.cpu.wallMs).toFixed(2)))),
      row(`claims/s ${f.cores} cores allow at this cost`, columns.map((c) => n((f.cores * 1000 * c.claims) / total(c)))),
      '',
      "- 'PostgreSQL backends' are the server processes of the gateway's connections to this database; 'PostgreSQL server processes' are the WAL writer, checkpointer and background writer, which work for every database of the server (another database's writes would count there too). Redis is the whole server; the benchmark process runs autocannon and the polling.",
      '- When "cores kept busy" is close to the core count, the machine is saturated and the last row is the ceiling: only less CPU per claim, or more cores, raises it. "Cores busy on the whole machine" counts every process and the kernel (/proc/stat): well above "cores kept busy", other work shared the machine during that phase and its figures are low.',
    ],
  };
}

function rank(part: string): number {
  const i = PART_ORDER.indexOf(part);
  return i === -1 ? PART_ORDER.length : i;
}

/** The gateway processes' CPU profiles: the share of each part of the work in the samples when busy. */
export function profileSection(profiles: NonNullable<EndToEndFigures['profiles']>): ReportSection {
  const busy = (parts: Readonly<Record<string, number>>) => Object.entries(parts).filter(([k]) => k !== '(idle)').reduce((sum, [, v]) => sum + v, 0);
  const names = [...new Set(profiles.flatMap((p) => Object.keys(p.parts)))].filter((k) => k !== '(idle)')
    .sort((a, b) => profiles.reduce((sum, p) => sum + (p.parts[b] ?? 0) / busy(p.parts), 0) - profiles.reduce((sum, p) => sum + (p.parts[a] ?? 0) / busy(p.parts), 0));
  const row = (label: string, values: string[]) => `| ${label} | ${values.join(' | ')} |`;
  return {
    title: 'Where the gateway\'s CPU goes (CPU profiles)',
    lines: [
      'Share of each gateway process\'s profile samples while it was not idle (node --cpu-prof, whole life of the process, start-up included). A sample goes to the first frame from the leaf up that belongs to a part; the profiler samples wall time, so on a saturated machine a part also collects the time the process waited for a core while inside it (socket writes that wake PostgreSQL, above all).',
      '',
      row('Part', profiles.map((p) => p.process)),
      `| --- |${profiles.map(() => ' ---: |').join('')}`,
      ...names.map((name) => row(name, profiles.map((p) => `${((100 * (p.parts[name] ?? 0)) / Math.max(1, busy(p.parts))).toFixed(1)} %`))),
      row('busy samples (s)', profiles.map((p) => (busy(p.parts) / 1000).toFixed(1))),
    ],
  };
}

/** How the figures were taken. */
export function methodSection(f: EndToEndFigures): ReportSection {
  return {
    title: 'Method',
    lines: [
      `- Real processes: \`sh scripts/gateway.sh\` (as npm start: node dist/gateway/main.js with its heap capped at 192 MB and glibc's mmap threshold fixed) in production mode (PASSERELLE_MODE=production) with PASSERELLE_ROLE all, api or worker as each phase needs, on a fresh PostgreSQL database (created and dropped by the benchmark; server as in BENCH_DATABASE_URL, TEST_DATABASE_URL or the local one) and a Redis key prefix of its own (QUEUE_PREFIX=bench-e2e-…, on BENCH_REDIS_URL, TEST_REDIS_URL or redis://127.0.0.1:6379; its keys are deleted afterwards). LOG_LEVEL=info (the default; the log goes to a file), DELIVERY_CONCURRENCY=${f.deliveryConcurrency}, RATE_LIMIT_PER_MINUTE raised so the per-participant limiter (still consulted in Redis on every request) never refuses the load; every other setting is the default.`,
      '- The insurer: the sandbox (`node dist/sandbox/main.js`, LOG_LEVEL=warn), started once and shared by every gateway process; no gateway process runs in demo mode, so none starts a sandbox of its own. Participants come from a seed file (SEED_FILE, applied by each process at start): a provider whose client has a hashed secret (CLIENT_SECRETS_ENABLED=true; the token is fetched once per phase from POST /auth/token) and an insurer on the generic FHIR adapter whose baseUrl is the sandbox\'s demo-insurer. The insurer has no eligibility settings (no eligibility check on submission) and no insurer profile pack (the base pack validates every claim).',
      `- Claims: the demo claim (Claim with two routine items, 23,000 XOF, below the sandbox's pend threshold; Patient; Coverage), ${n(f.bodyBytes)} bytes, with a unique Claim.identifier per submission (a repeat would be answered with the original and not delivered) and a covered member (M0001–M0900 in turn), so every answer is "complete". Each phase has its own identifier system, by which the database is queried.`,
      `- End to end, per deployment: the processes are started (worker first), ${n(f.warmupClaims)} claims are submitted and answered unmeasured (warm-up), then ${n(f.claims)} claims are submitted by ${f.connections} autocannon connections as fast as they are answered; once the last 202 is in, PostgreSQL is polled every ${f.pollMs} ms (\`select status, count(*) from claims where identifier_system = $1 group by status\`) until every claim is complete, partial or error (or failed, or nothing moved for 30 s). Then ten of the claims have their answer read through GET /fhir/ClaimResponse?request=Claim/{id}, and the processes are stopped.`,
      `- Ingest: an API-only process, ${f.ingestWarmupSeconds} s of unmeasured load, ${f.ingestSeconds} s measured; then a second API-only process on another port, ${f.ingestWarmupSeconds} s unmeasured on both, ${f.ingestSeconds} s measured on both. Then the API processes are stopped and one worker process delivers what they accepted (the "delivery alone" table), which also checks that every ingested claim gets its answer.`,
      `- ${BARE}: measured in the benchmark process while no gateway process runs (the sandbox idles), ${f.bare.length} times between the phases; the median is reported.`,
      '- CPU: right before and after each measured phase, the CPU time (user + system, /proc/<pid>/stat) of each process taking part is read: the gateway processes, the PostgreSQL backends of this database (pg_stat_activity, the benchmark\'s own connection left out), Redis and the sandbox when local, and the benchmark process; and the whole machine\'s (/proc/stat). For the bare queue, Redis and the benchmark process do all the work.',
      `- Order: ${BARE}, one process (role all), ${BARE}, API + worker, ${BARE}, ingest with 1 then 2 API processes, delivery alone, ${BARE_BACKLOG}.`,
      `- The load generator (autocannon), the gateway processes, PostgreSQL, Redis and the sandbox all share the machine's ${f.cores} cores: every figure includes that contention, and none says what a gateway process does on a machine of its own.`,
      '- Shorter runs: BENCH_E2E_CLAIMS (default 2,000), BENCH_E2E_WARMUP_CLAIMS (200), BENCH_E2E_CONNECTIONS (20), BENCH_E2E_CONCURRENCY (20, the gateway\'s default DELIVERY_CONCURRENCY, also the bare worker\'s), BENCH_E2E_INGEST_SECONDS (10). BENCH_E2E_CPU_PROF=<folder> runs the gateway processes with --cpu-prof into that folder.',
    ],
  };
}

/** How the deployment scales beyond this machine: settings and what the gateway supports today. */
export function scaleOutSection(): ReportSection {
  return {
    title: 'Scale-out guidance',
    lines: [
      '- **Roles.** One binary; PASSERELLE_ROLE=api processes take HTTP (submission, validation, the durable write and the job add), PASSERELLE_ROLE=worker processes deliver, push callbacks and run the outbox relay, sweeper, claim watch and retention. A role on its own needs DATABASE_URL (PostgreSQL: the embedded PGlite serves one process). Every process of a deployment must share DATABASE_URL, REDIS_URL and QUEUE_PREFIX (or leave QUEUE_PREFIX unset: it then comes from the deployment id stored in the database, the same for all). API processes are stateless: put any HTTP load balancer in front (tokens are signed by a key kept in the database, so a token from one process works on all; per-participant rate limits are counted in Redis, so they hold across processes).',
      '- **Ingest** scales with API processes until PostgreSQL\'s write rate does: each accepted claim is one transaction (claim, first event, queued answer, outbox row) plus a few reads. Each process opens at most DATABASE_POOL_SIZE PostgreSQL connections (default 10), so n API processes plus m workers need DATABASE_POOL_SIZE × (n + m) connections within the server\'s max_connections (or a pooler such as PgBouncer in transaction mode in front).',
      '- **Delivery** scales with worker processes: each runs one BullMQ worker per insurer queue (`delivery-<insurer id>`) with DELIVERY_CONCURRENCY jobs in flight (default 20), or the insurer\'s own `delivery.concurrency` from the registry; so an insurer gets concurrency × workers deliveries at once. `delivery.maxPerSecond` caps an insurer across all worker processes (BullMQ\'s limiter lives in Redis), which is what protects an insurer when workers are added. Both are read when a worker process starts. A slow insurer holds up only its own queue.',
      '- **Redis.** All keys of a deployment live under `<QUEUE_PREFIX>:`; BullMQ needs maxmemory-policy noeviction (checked at start, on every master of a Cluster) and appendonly yes is advised. For availability, Redis Sentinel (a primary with replicas and automatic failover) suits BullMQ, whose jobs of one queue must live on one node anyway: set `REDIS_URL=redis+sentinel://[:password@]sentinel1:26379,sentinel2:26379,sentinel3:26379/<master name>`, and every connection asks the Sentinels which server is the master (and asks again when it reconnects). To spread queues over shards, Redis Cluster: `REDIS_URL=redis+cluster://[:password@]node1:6379,node2:6379` with a hash tag in the prefix, e.g. `QUEUE_PREFIX={passerelle}` (required, checked at start), so that every key of a queue is in one hash slot as BullMQ\'s scripts need. Start the gateway once the Cluster is formed (`cluster_state:ok` on every node): a gateway started against nodes that do not all know the slots yet stops within seconds with "Redis … does not answer" (its supervisor restarts it), rather than waiting for ever as ioredis\'s first slots refresh would. test/redis-topologies.test.ts runs claims end to end through a Sentinel, through a failover (the master killed, the Sentinel promotes its replica, claims keep flowing, and the gateway then stops as quickly as before), and through a three-node Cluster, all of real redis-server processes.',
      '- **PostgreSQL.** Writes, and the reads that must see them (a provider reading its claim back right after the 202, $poll, deliveries, the claim detail), go to DATABASE_URL. The operators\' heavy reads, which tolerate a replica\'s lag of a second or so, go to `DATABASE_READ_URL` when set: a hot standby (streaming replication) of the primary, typically the one kept for failover. They are the transaction log (`GET /admin/transactions`, a count and a page over claims and eligibility requests, polled every 5 s by each open console), the insurer health statistics (answer time percentiles over 15 minutes) and the `/metrics` counts scraped by Prometheus. Its pool is `DATABASE_POOL_SIZE` connections too, named `passerelle-reads` in pg_stat_activity. When the replica does not answer (stopped, unreachable, restarting), those reads run on the primary and the replica is tried again every 5 s, with a warning in the log: a replica down never takes the console or the metrics down. test/postgres-replica.test.ts builds a real standby with initdb and pg_basebackup, and checks both. Beyond that, scale the primary (CPU, and a fast disk for the WAL: a claim takes several commits, its acceptance, the dispatch bookkeeping and the insurer\'s answer, each with its audit rows).',
      '- **On this 2-core machine** the processes, the databases and the load generator share the same two cores, so adding processes cannot add CPU: the figures above show what a second API process buys here, not what it buys on its own host. To measure scale-out meaningfully, put the load generator, PostgreSQL and Redis on other machines and add gateway processes one at a time.',
    ],
  };
}
