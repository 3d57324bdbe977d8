import { acceptedPerSecond, failures, lanePlan, poolRuns, type LoadRun } from './load.js';

describe('lanePlan', () => {
  it('gives one unpaced lane with every connection when there is no rate', () => {
    expect(lanePlan(undefined, 50, 10)).toEqual([{ delayMs: 0, connections: 50 }]);
  });

  it('shares rate and connections out evenly, starts spread over a second', () => {
    const lanes = lanePlan(103, 50, 10);
    expect(lanes).toHaveLength(10);
    expect(lanes.map((l) => l.delayMs)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(lanes.reduce((sum, l) => sum + l.rate!, 0)).toBe(103);
    expect(lanes.reduce((sum, l) => sum + l.connections, 0)).toBe(50);
    expect(lanes.map((l) => l.rate)).toEqual([11, 11, 11, 10, 10, 10, 10, 10, 10, 10]);
  });

  it('uses fewer lanes than asked when the rate or the connections are too few for each to have one', () => {
    expect(lanePlan(3, 50, 10)).toHaveLength(3);
    expect(lanePlan(500, 4, 10)).toHaveLength(4);
    expect(lanePlan(1.4, 4, 10)).toEqual([{ delayMs: 0, connections: 4, rate: 1 }]);
  });

  it('refuses a rate below one request a second (autocannon would not pace it at all)', () => {
    expect(() => lanePlan(0.4, 4, 10)).toThrow();
  });
});

const run = (statuses: Record<string, number>, seconds: number, errors = 0, latenciesMs: number[] = []): LoadRun => ({ seconds, statuses, errors, latenciesMs });

describe('failures, acceptedPerSecond and poolRuns', () => {
  it('count every request without a 202: other statuses, errors and timeouts', () => {
    expect(failures(run({ 202: 10, 200: 1, 422: 2, 500: 3 }, 1, 4))).toBe(10);
    expect(failures(run({ 202: 10 }, 1))).toBe(0);
  });

  it('count 202 answers per second only', () => {
    expect(acceptedPerSecond(run({ 202: 100, 429: 50 }, 4))).toBe(25);
    expect(acceptedPerSecond(run({}, 0))).toBe(0);
  });

  it('pool rounds of a contender: statuses added, time summed, latencies kept', () => {
    const pooled = poolRuns([run({ 202: 10, 500: 1 }, 2, 1, [1, 2]), run({ 202: 30 }, 2, 0, [3])]);
    expect(pooled).toEqual({ seconds: 4, statuses: { 202: 40, 500: 1 }, errors: 1, latenciesMs: [1, 2, 3] });
    expect(acceptedPerSecond(pooled)).toBe(10);
  });
});
