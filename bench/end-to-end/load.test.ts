import { combineLoads, share } from './load.js';

describe('share', () => {
  it('splits a total among parts, the remainder to the first ones', () => {
    expect([0, 1, 2].map((k) => share(20, 3, k))).toEqual([7, 7, 6]);
    expect([0, 1].map((k) => share(2000, 2, k))).toEqual([1000, 1000]);
  });
});

describe('combineLoads', () => {
  it('adds the counts, keeps the longest duration and every latency', () => {
    const total = combineLoads([
      { statusCounts: { 202: 100, 500: 1 }, errors: 1, timeouts: 0, durationMs: 1000, latencies: Array.from({ length: 101 }, () => 10) },
      { statusCounts: { 202: 50, 429: 2 }, errors: 0, timeouts: 1, durationMs: 2000, latencies: Array.from({ length: 52 }, () => 30) },
    ]);
    expect(total).toMatchObject({ responses: 153, accepted: 150, statusCounts: { 202: 150, 500: 1, 429: 2 }, errors: 1, timeouts: 1, durationMs: 2000, acceptedPerSecond: 75 });
    expect(total.latency).toMatchObject({ samples: 153, minMs: 10, maxMs: 30, p50Ms: 10 });
  });

  it('has no latency and no rate without responses', () => {
    expect(combineLoads([{ statusCounts: {}, errors: 3, timeouts: 3, durationMs: 0, latencies: [] }])).toMatchObject({ accepted: 0, latency: null, acceptedPerSecond: 0 });
  });
});
