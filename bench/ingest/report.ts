/** The ingest benchmark's tables, summary and sections, from its raw figures. */
import { scoreTable } from '../harness/measure.js';
import type { ComparisonRow, ComparisonTable, ReportSection } from '../harness/types.js';
import type { ProfileSummary } from './profile.js';

export const BARE = 'bare Express 5';
/** The two ways the gateway is measured: the demo's live-eligibility insurer, and a copy of it without eligibility. */
export const LIVE = 'demo-insurer (live eligibility)';
export const NO_ELIGIBILITY = 'bench-ipm (no eligibility)';
export const GATEWAY_CASES = [LIVE, NO_ELIGIBILITY] as const;
export type GatewayCase = (typeof GATEWAY_CASES)[number];
export type Contender = GatewayCase | typeof BARE;

/** Targets of the issue. */
export const THROUGHPUT_TARGET = 0.5;
export const P99_TARGET_MS = 50;
export const RSS_TARGET_MB = 300;
export const FIXED_RATE_SHARE = 0.7;
const P99_TARGET = `target (≤ ${P99_TARGET_MS} ms)`;
const RSS_TARGET = `target (≤ ${RSS_TARGET_MB} MB)`;

/** One contender's figures for one kind of load. */
export interface LoadFigures {
  /** Requests per second asked (fixed rate), or null (as fast as answered). */
  readonly askedRate: number | null;
  readonly perSecond: number;
  readonly answers: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly statuses: Readonly<Record<string, number>>;
  /** Requests that got no 202 (other statuses, connection errors, timeouts). */
  readonly failures: number;
  /** CPU time of the server process per answer, in ms. */
  readonly cpuMsPerAnswer: number | null;
  /** Peak resident memory of the server process during the load, in MiB. */
  readonly peakRssMb: number;
}

export interface PayloadFigures {
  readonly name: string;
  readonly description: string;
  /** Size of one request body (compact JSON), in bytes. */
  readonly bodyBytes: number;
  readonly clientId: string;
  readonly max: Readonly<Record<Contender, LoadFigures>>;
  readonly fixed: Readonly<Record<Contender, LoadFigures>>;
  readonly loadAverage: { readonly start: number; readonly end: number };
}

export interface IngestSettings {
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly maxSeconds: number;
  readonly maxRounds: number;
  readonly fixedSeconds: number;
  readonly lanes: number;
  readonly profiled: boolean;
  /** Node options given to the gateway process (none by default, as `npm start` runs it). */
  readonly gatewayNodeArgs: readonly string[];
}

export interface IngestFigures {
  readonly cores: number;
  readonly settings: IngestSettings;
  readonly payloads: readonly PayloadFigures[];
  /** Resident memory (MiB) right after start-up and the process's lifetime peak (VmHWM) at the end. */
  readonly memory: Readonly<Record<'gateway' | 'bare', { readonly startMb: number; readonly hwmMb: number }>>;
  /** Gateway start-up (spawn to "listening"), in ms. */
  readonly gatewayStartMs: number;
  /** 202 answers the gateway gave over the whole run (warm-ups and checks included), claims stored, jobs waiting in the delivery queue. */
  readonly accepted: number;
  readonly claimsStored: number;
  readonly deliveryJobsWaiting: number | null;
  readonly profile?: ProfileSummary;
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(value >= 100 ? 0 : 1)} ms`);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const label = (p: PayloadFigures) => `${p.name} (${kb(p.bodyBytes)})`;

/** The tables and the one-line verdict. */
export function ingestTables(f: IngestFigures): { tables: ComparisonTable[]; summary: string } {
  const tables = [throughputTable(f), maxLatencyTable(f), fixedLatencyTable(f), memoryTable(f), cpuTable(f)];
  return { tables, summary: summaryLine(f, tables) };
}

function throughputTable(f: IngestFigures): ComparisonTable {
  return scoreTable({
    title: `Claims accepted per second at the maximum rate (${f.settings.connections} connections)`, subjectLabel: 'Payload → insurer', unit: 'claims/s',
    better: 'higher', ratioMeaning: 'faster', baselines: [BARE], target: { baseline: BARE, minRatio: THROUGHPUT_TARGET },
    rows: f.payloads.flatMap((p) => GATEWAY_CASES.map((c) => ({ subject: `${label(p)} → ${c}`, metric: '202/s', ours: p.max[c].perSecond, baselines: { [BARE]: p.max[BARE].perSecond } }))),
    notes: [
      `Passerelle: \`sh scripts/gateway.sh\` as npm start runs it (node dist/gateway/main.js with the deployed memory settings; role api, demo mode) answering POST /fhir/Claim/$submit with everything on (see Method). ${BARE}: express.json on the same bodies, same media types and body limit, answering 202.`,
      'Only 202 answers count; every other answer, connection error or timeout is counted apart (Findings).',
    ],
  });
}

function maxLatencyTable(f: IngestFigures): ComparisonTable {
  return scoreTable({
    title: `Latency at the maximum rate (${f.settings.connections} connections in flight)`, subjectLabel: 'Payload → insurer', unit: 'ms',
    better: 'lower', ratioMeaning: 'faster', baselines: [BARE],
    rows: f.payloads.flatMap((p) => GATEWAY_CASES.flatMap((c) => (['p50Ms', 'p99Ms'] as const).map((key) => ({
      subject: `${label(p)} → ${c}`, metric: key.replace('Ms', ''), ours: p.max[c][key], baselines: { [BARE]: p.max[BARE][key] },
    })))),
    notes: ['With every connection busy, latency is mostly queueing: connections ÷ throughput. It says how long a burst waits, not what one claim costs.'],
  });
}

function fixedLatencyTable(f: IngestFigures): ComparisonTable {
  const bareLabel = `${BARE} at ${FIXED_RATE_SHARE * 100}% of its max`;
  return scoreTable({
    title: `Latency at ${FIXED_RATE_SHARE * 100}% of each server's own maximum rate`, subjectLabel: 'Payload → insurer', unit: 'ms',
    better: 'lower', ratioMeaning: 'faster', baselines: [bareLabel, P99_TARGET], target: { baseline: P99_TARGET, minRatio: 1 },
    rows: f.payloads.flatMap((p) => GATEWAY_CASES.flatMap((c): ComparisonRow[] => (['p50Ms', 'p99Ms'] as const).map((key) => ({
      subject: `${label(p)} → ${c} at ${n(p.fixed[c].askedRate ?? 0)}/s`, metric: key.replace('Ms', ''), ours: p.fixed[c][key],
      baselines: { [bareLabel]: p.fixed[BARE][key], [P99_TARGET]: key === 'p99Ms' ? P99_TARGET_MS : null },
    })))),
    notes: [
      `The rate is ${FIXED_RATE_SHARE * 100}% of the 202/s the same contender reached in the maximum-rate runs of this payload (autocannon overallRate), spread over ${f.settings.lanes} autocannon instances started a tenth of a second apart (see Method: one instance sends each second's requests in a burst).`,
      `"${P99_TARGET}" is the goal, not a measurement; it judges the p99 rows.`,
    ],
  });
}

function memoryTable(f: IngestFigures): ComparisonTable {
  const peak = (c: Contender) => Math.max(...f.payloads.map((p) => Math.max(p.max[c].peakRssMb, p.fixed[c].peakRssMb)));
  const gatewayPeak = (p: PayloadFigures) => Math.max(...GATEWAY_CASES.flatMap((c) => [p.max[c].peakRssMb, p.fixed[c].peakRssMb]));
  return scoreTable({
    title: 'Resident memory of the server process (VmRSS, sampled every 100 ms)', subjectLabel: 'Moment', unit: 'MB', better: 'lower', ratioMeaning: 'smaller',
    baselines: [BARE, RSS_TARGET], target: { baseline: RSS_TARGET, minRatio: 1 },
    rows: [
      { subject: 'right after start-up, before any request', metric: 'RSS', ours: f.memory.gateway.startMb, baselines: { [BARE]: f.memory.bare.startMb, [RSS_TARGET]: null } },
      ...f.payloads.map((p) => ({ subject: `under load: ${label(p)}`, metric: 'peak RSS', ours: gatewayPeak(p), baselines: { [BARE]: Math.max(p.max[BARE].peakRssMb, p.fixed[BARE].peakRssMb), [RSS_TARGET]: RSS_TARGET_MB } })),
      { subject: 'under load: every payload', metric: 'peak RSS', ours: Math.max(...GATEWAY_CASES.map(peak)), baselines: { [BARE]: peak(BARE), [RSS_TARGET]: RSS_TARGET_MB } },
      { subject: 'whole process life (start-up included)', metric: 'VmHWM', ours: f.memory.gateway.hwmMb, baselines: { [BARE]: f.memory.bare.hwmMb, [RSS_TARGET]: null } },
    ],
    notes: [
      'MB are MiB (/proc/<pid>/status reports kB). The gateway process holds the API, the in-process sandbox insurer of demo mode, the R4 definitions and the profile packs.',
      `"${RSS_TARGET}" is the goal, not a measurement; it judges the peaks under load.`,
    ],
  });
}

function cpuTable(f: IngestFigures): ComparisonTable {
  return scoreTable({
    title: 'CPU time of the server process per accepted claim, at the maximum rate', subjectLabel: 'Payload → insurer', unit: 'ms CPU', better: 'lower', ratioMeaning: 'cheaper',
    baselines: [BARE],
    rows: f.payloads.flatMap((p) => GATEWAY_CASES.map((c) => ({ subject: `${label(p)} → ${c}`, metric: 'CPU/claim', ours: p.max[c].cpuMsPerAnswer, baselines: { [BARE]: p.max[BARE].cpuMsPerAnswer } }))),
    notes: ['User + system time of the server process (/proc/<pid>/stat) during the maximum-rate runs ÷ answers. PostgreSQL, Redis and the load generator are other processes and not counted.'],
  });
}

function summaryLine(f: IngestFigures, tables: ComparisonTable[]): string {
  const [throughput, , fixed, memory] = tables as [ComparisonTable, ComparisonTable, ComparisonTable, ComparisonTable];
  const ratios = throughput.rows.map((r) => r.ratios[BARE]).filter((r): r is number => r !== null && r !== undefined);
  const throughputMet = throughput.rows.every((r) => r.targetMet === true);
  const [low, high] = [Math.min(...ratios).toFixed(2), Math.max(...ratios).toFixed(2)];
  const range = ratios.length === 0 ? 'n/a' : low === high ? `${low}×` : `${low}×–${high}×`;
  const p99 = fixed.rows.filter((r) => r.metric === 'p99');
  const p99Met = p99.filter((r) => r.targetMet === true).length;
  const p99s = p99.map((r) => r.ours).filter((v): v is number => v !== null);
  const peaks = memory.rows.filter((r) => r.targetMet !== undefined && r.targetMet !== null);
  const peak = Math.max(...peaks.map((r) => r.ours ?? 0));
  const failing = failedRuns(f);
  return `Throughput ${throughputMet ? 'target met' : '**target missed**'}: the gateway reaches ${range} of the bare server's claims/s (≥ ${THROUGHPUT_TARGET}× wanted). `
    + `p99 at ${FIXED_RATE_SHARE * 100}% of its own maximum: ${p99Met === p99.length ? 'target met' : '**target missed**'} on ${p99Met}/${p99.length} (${p99s.length ? `${ms(Math.min(...p99s))} to ${ms(Math.max(...p99s))}` : 'n/a'}; ≤ ${P99_TARGET_MS} ms wanted). `
    + `Peak RSS under load ${n(peak)} MB: ${peak <= RSS_TARGET_MB ? 'target met' : '**target missed**'} (≤ ${RSS_TARGET_MB} MB wanted; ${n(f.memory.gateway.startMb)} MB right after start-up).`
    + (failing.length ? ` **${failing.length} measured run(s) had answers other than 202 or errors** (see Findings).` : ' Every measured request got a 202.');
}

/** The measured runs with any request that got no 202. */
export function failedRuns(f: IngestFigures): string[] {
  const runs: string[] = [];
  for (const p of f.payloads) {
    for (const [kind, figures] of [['maximum rate', p.max], ['fixed rate', p.fixed]] as const) {
      for (const [contender, run] of Object.entries(figures)) {
        if (run.failures > 0) runs.push(`${p.name}, ${contender}, ${kind}: ${run.failures} of ${n((run.statuses['202'] ?? 0) + run.failures)} (${statusList(run.statuses)})`);
      }
    }
  }
  return runs;
}

function statusList(statuses: Readonly<Record<string, number>>): string {
  return Object.entries(statuses).map(([status, count]) => `${status}: ${n(count)}`).join(', ') || 'no answers';
}

/** What the figures say beyond the tables. */
export function findingsSection(f: IngestFigures): ReportSection {
  const lines: string[] = [];
  for (const p of f.payloads) {
    const bare = p.max[BARE];
    const live = p.max[LIVE];
    const off = p.max[NO_ELIGIBILITY];
    lines.push(`- ${label(p)}: bare ${n(bare.perSecond)}/s, gateway ${n(live.perSecond)}/s with live eligibility and ${n(off.perSecond)}/s without (${ratio(off.perSecond, live.perSecond)} as fast with it). `
      + `The gateway process spent ${cpu(live.cpuMsPerAnswer)} / ${cpu(off.cpuMsPerAnswer)} of CPU per claim against ${cpu(bare.cpuMsPerAnswer)} per request for the bare server`
      + `${live.cpuMsPerAnswer !== null && live.perSecond > 0 ? `: at ${n(live.perSecond)} claims/s that is ${((live.cpuMsPerAnswer * live.perSecond) / 10).toFixed(0)}% of one core (Node runs the request path on one thread)` : ''}.`);
  }
  const small = f.payloads.find((p) => p.name === 'small claim');
  if (small) lines.push(`- The small claim is ${kb(small.bodyBytes)} as sent (compact JSON; the fixture file is pretty-printed), not the ~5 KB the issue expected; the large claim and the Synthea-like bundle cover bigger bodies.`);
  const failing = failedRuns(f);
  lines.push(failing.length ? `- **Runs with answers other than 202 or errors**: ${failing.join('; ')}.` : '- Every request of every measured run got a 202: none was refused, answered as a duplicate of another, rate-limited or lost.');
  lines.push(`- Durable writes: ${n(f.claimsStored)} claims stored for ${n(f.accepted)} 202 answers counted over the whole run (checks and warm-ups included)`
    + `${f.claimsStored >= f.accepted ? '; the claims beyond the answers are requests still in flight when autocannon closed its connections at the end of a run, which the gateway completed anyway' : ': **fewer claims stored than answers given**'}`
    + `${f.deliveryJobsWaiting !== null ? `. ${n(f.deliveryJobsWaiting)} delivery jobs wait in the queues (no worker drains them)${f.deliveryJobsWaiting === f.claimsStored ? ': one per stored claim' : ': **not one per stored claim**'}` : ''}.`);
  const peak = Math.max(...f.payloads.flatMap((p) => GATEWAY_CASES.flatMap((c) => [p.max[c].peakRssMb, p.fixed[c].peakRssMb])));
  lines.push(`- Memory: the gateway process holds ${n(f.memory.gateway.startMb)} MB right after start-up (${n(f.memory.bare.startMb)} MB for the bare server), before any claim, and reached ${n(peak)} MB under load. `
    + 'The process runs as npm start runs it (scripts/gateway.sh): a V8 heap capped at GATEWAY_HEAP_MB (192 MB by default) and glibc\'s mmap threshold fixed, without which the same load peaked at 720–780 MB (garbage V8 left uncollected with a heap limit sized from the machine\'s 24 GB, and about 100 MB of freed buffers glibc kept; docs/architecture.md, "Memory of a gateway process"). No collection is forced'
    + `${f.settings.gatewayNodeArgs.length ? ` (this run also gave the gateway ${f.settings.gatewayNodeArgs.join(' ')})` : ''}.`);
  lines.push(`- Start-up of the gateway process (spawn to listening, demo participants registered): ${n(f.gatewayStartMs)} ms.`);
  if (f.profile) lines.push(...profileLines(f.profile));
  return { title: 'Findings', lines };
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(b / a).toFixed(2)}×` : 'n/a';
}

function cpu(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(value >= 1 ? 2 : 3)} ms`;
}

function profileLines(profile: ProfileSummary): string[] {
  const busy = profile.totalMs - profile.idleMs;
  const list = (entries: ProfileSummary['byModule']) => entries.map((e) => `${e.name} ${(e.share * 100).toFixed(1)}%`).join(', ');
  return [
    `- CPU profile of the gateway process (node --cpu-prof, whole life: start-up, warm-ups and measured runs): ${n(busy)} ms busy of ${n(profile.totalMs)} ms.`,
    `  - Self time by module: ${list(profile.byModule)}.`,
    `  - Functions with the most self time: ${list(profile.byFunction)}.`,
  ];
}

/** How the figures were taken. */
export function methodSection(f: IngestFigures): ReportSection {
  const s = f.settings;
  const sizes = f.payloads.map((p) => `${p.name} ${n(p.bodyBytes)} bytes (${p.description}; submitted by ${p.clientId})`).join('; ');
  const loads = f.payloads.map((p) => `${p.name} ${p.loadAverage.start}→${p.loadAverage.end}`).join(', ');
  return {
    title: 'Method',
    lines: [
      '- "Everything on" is the production request path of POST /fhir/Claim/$submit: HTTP metrics and pino-http request logging (LOG_LEVEL info, to a file), audit middleware, bearer token verification, per-participant rate limiting counted in Redis (its limit raised to 100,000,000 a minute so that it counts without refusing), the content-type check, the raw body read with the 10 MiB limit, JSON parsing with the depth and key guard, full validation (R4, the passerelle-base pack and the insurer\'s demo-ipm 1.0.0 pack), party and reference checks, the Idempotency-Key protocol (a unique key per request: one insert and one update, each shared with the keys of concurrent requests), the insurer\'s mapping check, the eligibility check, the claim, its gateway ClaimResponse, its outbox row and its history and audit events written in one PostgreSQL statement (a duplicate Claim.identifier is caught by that insert\'s unique key), the access audit event (shared likewise), and the delivery job added to BullMQ on Redis (one addBulk for the claims accepted meanwhile).',
      `- Gateway: one process, \`${f.settings.gatewayNodeArgs.length ? `GATEWAY_NODE_ARGS='${f.settings.gatewayNodeArgs.join(' ')}' ` : ''}sh scripts/gateway.sh\` (as npm start: node --max-old-space-size=192 dist/gateway/main.js with MALLOC_MMAP_THRESHOLD_=131072), PASSERELLE_ROLE=api, demo mode (demo participants and the sandbox insurer in the same process), on a fresh PostgreSQL database (created and dropped by the benchmark) and a Redis key prefix of its own (deleted afterwards). No worker process runs: delivery jobs stay queued. A worker would deliver to the sandbox insurer, which demo mode runs inside the measured API process, and would take CPU from it and from the load generator on ${f.cores} cores; the ingest figure is the API's alone. Tokens: client_credentials for demo-clinic (demo-hospital for the Synthea-like bundle, its provider), fetched afresh before each run.`,
      `- Insurers: ${LIVE} is the demo's insurer as registered: demo-ipm 1.0.0 pack, FHIR adapter, live eligibility (coverage search on the sandbox insurer, policy warn, answers cached in Redis for 300 s). Every body names the same member, so after the first claim the check is a Redis cache read: the realistic steady state for a member seen recently, not the cost of asking the insurer. ${NO_ELIGIBILITY} is a copy registered by the benchmark through the operator API (POST /admin/participants): same adapter, settings and pack, no eligibility, so the difference between the two is the eligibility check alone. The demo's demo-ipm-json (no eligibility) was not used: its mapping refuses the Synthea-like bundle (Claim.enterer, facility...), and it validates with the base pack only.`,
      `- Bodies: every request carries its own Claim.identifier value and the same value as Idempotency-Key (autocannon setupRequest), the rest of the body identical. Service dates follow the run's date so that the sandbox finds the member covered (for the Synthea-like bundle, its 2025 dates are moved to the latest year whose 14 May has passed). Sizes of one body (compact JSON): ${sizes}.`,
      `- Baseline: \`node dist/bench/ingest/bare-server.js\`, express.json({ type: ['application/fhir+json', 'application/json'], limit: 10 MiB }) answering 202 with a small JSON body, as its own process like the gateway.`,
      `- Load: autocannon 8 in the benchmark process, on the same ${f.cores}-core machine as the two servers, PostgreSQL and Redis. For each payload: a check request per gateway case (202 expected), then a ${s.warmupSeconds} s warm-up of each contender (not measured), then the maximum rate: ${s.connections} connections, ${s.maxRounds} round(s) of ${(s.maxSeconds / s.maxRounds).toFixed(1)} s per contender, the order rotating from round to round; then ${FIXED_RATE_SHARE * 100}% of each contender's own maximum: autocannon overallRate for ${s.fixedSeconds} s over ${s.connections} connections.`,
      `- autocannon paces a rate per second and per connection: each connection sends its share of the second back to back at the start of the second. With one instance every connection bursts at once each second, so for most of each second the server sees the maximum-rate load, and the latency measured is close to the maximum rate's. The fixed-rate run is therefore split into ${s.lanes} autocannon instances, each with a tenth of the rate and of the connections, started 100 ms apart, so the bursts interleave; it is still burstier than evenly spaced arrivals.`,
      '- Latency: each answer timed by autocannon (response event, fractional ms) from the write of its request to the end of its response; p50 and p99 nearest-rank over all answers of the contender\'s runs. Throughput: 202 answers ÷ run time. CPU: /proc/<pid>/stat of the server process. Memory: /proc/<pid>/status VmRSS sampled every 100 ms during each run (and VmHWM when it grew).',
      `- Load average (1 min) at the start and end of each payload's measurements, on ${f.cores} cores: ${loads}.${f.payloads.some((p) => Math.max(p.loadAverage.start, p.loadAverage.end) > f.cores * 1.5) ? ' The load generator, both servers, PostgreSQL and Redis share the cores, so a load average near or above the core count is expected during the runs.' : ''}`,
      `- Shorter runs: BENCH_INGEST_SECONDS (maximum-rate seconds per contender and payload, default 8), BENCH_INGEST_FIXED_SECONDS (default 8), BENCH_INGEST_WARMUP_SECONDS (default 3), BENCH_INGEST_CONNECTIONS (default 50), BENCH_INGEST_PAYLOADS (names, comma-separated), BENCH_INGEST_PROFILE=1 (gateway under node --cpu-prof, summarised in Findings; a directory instead of 1 keeps the .cpuprofile there); BENCH_INGEST_GATEWAY_NODE_ARGS gives the gateway process more Node options (GATEWAY_NODE_ARGS of scripts/gateway.sh).${s.profiled ? ' This run was profiled: the profiler slows the gateway down, so its figures are below an unprofiled run\'s.' : ''}`,
    ],
  };
}
