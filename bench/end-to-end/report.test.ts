import type { Timing } from '../harness/measure.js';
import {
  BARE, cpuSection, endToEndTables, findingsSection, ingestCheck, latencySection, medianBare, secondProcessVerdict, sharedCpuPace,
  type EndToEndFigures, type EndToEndRun, type IngestRun, type LoadSummary, type MeteredBareRun,
} from './report.js';

const timing = (p50: number): Timing => ({ samples: 200, meanMs: p50, p50Ms: p50, p99Ms: p50 * 2, minMs: 1, maxMs: p50 * 3 });
const bare = (perSecond: number): MeteredBareRun => ({
  jobs: 2000, ms: 2000 / perSecond * 1000, perSecond, latency: timing(100), cpu: { wallMs: 1000, machineMs: 1000, byPart: { Redis: 300, 'benchmark process (load generator, polling)': 300 } },
});
const load = (accepted: number, seconds: number): LoadSummary => ({
  responses: accepted, accepted, statusCounts: { 202: accepted }, errors: 0, timeouts: 0, durationMs: seconds * 1000, acceptedPerSecond: accepted / seconds, latency: timing(50),
});
const progress = { total: 2000, byStatus: { complete: 2000 }, answered: 2000, settled: 2000 };
const cpu = { wallMs: 10_000, machineMs: 18_000, byPart: { 'gateway, role all': 8000, 'PostgreSQL backends': 6000, Redis: 1000, 'benchmark process (load generator, polling)': 2000 } };
const run = (topology: 'all' | 'split', claimsPerSecond: number): EndToEndRun => ({
  topology, load: load(2000, 10), totalMs: 2000 / claimsPerSecond * 1000, claimsPerSecond, progress, stalled: false,
  insurerResponses: 2000, answerLatency: timing(300), databaseSpanMs: 9000, apiCheck: { checked: 10, answered: 10 }, cpu,
});
const ingest = (processes: number, perSecond: number): IngestRun => ({ processes, load: load(perSecond * 10, 10), stored: perSecond * 10 + 3, cpu });

function figures(overrides: Partial<EndToEndFigures> = {}): EndToEndFigures {
  return {
    claims: 2000, warmupClaims: 200, connections: 20, deliveryConcurrency: 20, cores: 2, bodyBytes: 2124, pollMs: 100, ingestSeconds: 10, ingestWarmupSeconds: 2,
    runs: [run('all', 150), run('split', 120)], bare: [bare(3000), bare(2000), bare(4000)],
    ingest: [ingest(1, 200), ingest(2, 220)],
    drain: { backlog: 4000, settledWhileTimed: 3900, ms: 13000, perSecond: 300, progress, stalled: false, startupMs: 1500, cpu },
    bareBacklog: bare(5000), ...overrides,
  };
}

describe('the end-to-end report', () => {
  it('judges each deployment against half the median bare BullMQ rate', () => {
    const { tables, summary } = endToEndTables(figures({ runs: [run('all', 1600), run('split', 900)] }));
    expect(tables[0]!.rows.map((r) => [r.baselines[BARE], r.targetMet])).toEqual([[3000, true], [3000, false]]);
    expect(summary).toMatch(/^\*\*Target missed\*\*/);
    expect(summary).toContain('Every claim was accepted and answered');
  });

  it('says when the target is met, and when claims went unanswered', () => {
    expect(endToEndTables(figures({ runs: [run('all', 1600)] })).summary).toMatch(/^Target met/);
    const unanswered = { ...run('all', 1600), progress: { total: 2000, byStatus: { complete: 1990, queued: 10 }, answered: 1990, settled: 1990 } };
    expect(endToEndTables(figures({ runs: [unanswered] })).summary).toContain('10 submissions failed or went unanswered');
  });

  it('scores ingest against one API process and delivery against the bare backlog', () => {
    const { tables } = endToEndTables(figures());
    expect(tables.map((t) => t.title)).toHaveLength(3);
    expect(tables[1]!.rows[0]!.ratios['bare BullMQ, jobs waiting']).toBeCloseTo(300 / 5000);
    expect(tables[2]!.rows.map((r) => r.ratios['1 API process'])).toEqual([1, 1.1]);
  });

  it('leaves out the delivery table without a backlog', () => {
    expect(endToEndTables(figures({ drain: null, bareBacklog: null })).tables).toHaveLength(2);
  });

  it('compares end to end with the two halves sharing the CPU', () => {
    const line = (f: EndToEndFigures) => findingsSection(f).lines.find((l) => l.startsWith('- The two halves'));
    expect(line(figures({ runs: [run('all', 125)] }))).toContain('= 120 claims/s, and end to end measured 125');
    expect(line(figures({ runs: [run('all', 125)] }))).toContain('CPU-bound');
    expect(line(figures({ runs: [run('all', 200)] }))).toContain('does better');
    expect(line(figures({ runs: [run('all', 60)] }))).toContain('waiting');
  });
});

describe('the findings', () => {
  it('compares CPU per claim with CPU per bare job', () => {
    const line = findingsSection(figures()).lines.find((l) => l.startsWith('- Where the time goes'))!;
    expect(line).toContain('a claim cost 8.50 ms of CPU in all: the gateway 4.00 ms, PostgreSQL 3.00 ms (its backends 3.00), Redis 0.50 ms');
    expect(line).toContain('A bare BullMQ job cost 0.30 ms');
    expect(line).toContain('at most 0.60 ms of CPU');
  });

  it('flags phases during which other work shared the machine', () => {
    const busy = { ...run('all', 150), cpu: { ...cpu, machineMs: 25_000 } };
    expect(findingsSection(figures({ runs: [busy] })).lines.join('\n')).toContain('**Other work shared the machine** during end to end (one process (role all))');
    expect(findingsSection(figures()).lines.join('\n')).not.toContain('Other work shared the machine');
  });
});

describe('secondProcessVerdict', () => {
  it('reads the gain in the light of how busy the first process and the machine were', () => {
    expect(secondProcessVerdict(2, 0.4, 0.5, true)).toContain('says little');
    expect(secondProcessVerdict(1.0, 0.9, 0.95, false)).toContain('close to saturated');
    expect(secondProcessVerdict(1.5, 0.95, 0.7, false)).toContain('own event loop');
  });
});

describe('latencySection', () => {
  it('tabulates each run and says whether claims piled up behind the worker', () => {
    const lagging = { ...run('split', 120), totalMs: 14_000 };
    const lines = latencySection(figures({ runs: [run('all', 200), lagging] })).lines;
    expect(lines).toContain('| one process (role all) | 300 | 600 | 300 | 50.0 | 100 |');
    expect(lines.find((l) => l.startsWith('- one process'))).toContain('delivery kept up with intake');
    expect(lines.find((l) => l.startsWith('- API process'))).toContain('4.0 s after the last 202');
  });
});

describe('medianBare', () => {
  it('takes the run of median throughput', () => {
    expect(medianBare([bare(3000), bare(2000), bare(4000)])?.perSecond).toBe(3000);
    expect(medianBare([])).toBeNull();
  });
});

describe('sharedCpuPace', () => {
  it('adds the costs per claim of two stages', () => {
    expect(sharedCpuPace(200, 300)).toBeCloseTo(120);
    expect(sharedCpuPace(0, 300)).toBeNull();
  });
});

describe('ingestCheck', () => {
  it('accepts a few more claims stored than 202s (requests in flight at the deadline)', () => {
    expect(ingestCheck([ingest(1, 200)])).toMatch(/^- Every 202/);
  });

  it('flags fewer claims stored than 202s', () => {
    expect(ingestCheck([{ ...ingest(1, 200), stored: 1990 }])).toContain('Claims missing after a 202');
  });
});

describe('cpuSection', () => {
  it('gives CPU ms per claim by part, the cores kept busy and the rate they allow', () => {
    const lines = cpuSection(figures({ runs: [run('all', 200)], ingest: [], drain: null })).lines;
    expect(lines).toContain('| gateway, role all | 4.00 |');
    expect(lines).toContain('| PostgreSQL backends | 3.00 |');
    expect(lines).toContain('| **all of them** | **8.50** |');
    expect(lines).toContain('| cores kept busy | 1.70 |');
    expect(lines).toContain('| cores busy on the whole machine | 1.80 |');
    expect(lines).toContain('| claims/s 2 cores allow at this cost | 235 |');
  });
});
