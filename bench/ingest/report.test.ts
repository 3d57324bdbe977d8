import { BARE, LIVE, NO_ELIGIBILITY, failedRuns, ingestTables, type Contender, type IngestFigures, type LoadFigures } from './report.js';

const load = (perSecond: number, p99Ms: number, peakRssMb: number, statuses: Record<string, number> = { 202: perSecond * 10 }): LoadFigures => ({
  askedRate: null, perSecond, answers: Object.values(statuses).reduce((a, b) => a + b, 0), p50Ms: p99Ms / 2, p99Ms,
  statuses, failures: Object.entries(statuses).reduce((sum, [s, c]) => sum + (s === '202' ? 0 : c), 0), cpuMsPerAnswer: 1, peakRssMb,
});

function figures(gateway: LoadFigures, fixedGateway: LoadFigures): IngestFigures {
  const byContender = (g: LoadFigures, bare: LoadFigures) => ({ [BARE]: bare, [LIVE]: g, [NO_ELIGIBILITY]: g }) as Record<Contender, LoadFigures>;
  return {
    cores: 2, gatewayStartMs: 2000, accepted: 100, claimsStored: 120, deliveryJobsWaiting: 120,
    settings: { connections: 50, warmupSeconds: 3, maxSeconds: 8, maxRounds: 2, fixedSeconds: 8, lanes: 10, profiled: false, gatewayNodeArgs: [] },
    memory: { gateway: { startMb: 200, hwmMb: 280 }, bare: { startMb: 50, hwmMb: 90 } },
    payloads: [{
      name: 'small claim', description: 'd', bodyBytes: 2100, clientId: 'demo-clinic', loadAverage: { start: 1, end: 2 },
      max: byContender(gateway, load(1000, 10, 90)), fixed: byContender(fixedGateway, load(700, 5, 80)),
    }],
  };
}

describe('ingestTables', () => {
  it('judges throughput against half the bare server, p99 against 50 ms and peak RSS against 300 MB', () => {
    const { tables, summary } = ingestTables(figures(load(600, 400, 250), load(420, 40, 260)));
    const [throughput, , fixed, memory] = tables;
    expect(throughput!.rows.map((r) => [r.ratios[BARE], r.targetMet])).toEqual([[0.6, true], [0.6, true]]);
    expect(fixed!.rows.filter((r) => r.metric === 'p99').every((r) => r.targetMet === true)).toBe(true);
    expect(fixed!.rows.filter((r) => r.metric === 'p50').every((r) => r.targetMet === null)).toBe(true);
    expect(memory!.rows.filter((r) => r.metric === 'peak RSS').every((r) => r.targetMet === true)).toBe(true);
    expect(summary).toMatch(/^Throughput target met: the gateway reaches 0\.60× /);
    expect(summary).not.toContain('missed');
    expect(summary).toContain('Every measured request got a 202');
  });

  it('reports missed targets and runs with answers other than 202', () => {
    const { summary } = ingestTables(figures(load(100, 400, 350), load(70, 80, 360, { 202: 690, 500: 3 })));
    expect(summary).toContain('Throughput **target missed**: the gateway reaches 0.10×');
    expect(summary).toContain('**target missed** on 0/2');
    expect(summary).toContain('Peak RSS under load 360 MB: **target missed**');
    expect(summary).toContain('**2 measured run(s) had answers other than 202');
  });
});

describe('failedRuns', () => {
  it('names each run with failures and its statuses', () => {
    expect(failedRuns(figures(load(100, 1, 1), load(70, 1, 1, { 202: 5, 429: 2 })))).toEqual([
      `small claim, ${LIVE}, fixed rate: 2 of 7 (202: 5, 429: 2)`,
      `small claim, ${NO_ELIGIBILITY}, fixed rate: 2 of 7 (202: 5, 429: 2)`,
    ]);
  });
});
