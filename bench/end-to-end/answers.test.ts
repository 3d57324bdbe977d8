import { progressOf } from './answers.js';

describe('progressOf', () => {
  it('counts insurer outcomes as answered and dead letters as settled only', () => {
    expect(progressOf([['complete', 5], ['partial', 1], ['error', 2], ['failed', 1], ['queued', 3]])).toEqual({
      total: 12, byStatus: { complete: 5, partial: 1, error: 2, failed: 1, queued: 3 }, answered: 8, settled: 9,
    });
  });

  it('is empty for a phase without claims', () => {
    expect(progressOf([])).toEqual({ total: 0, byStatus: {}, answered: 0, settled: 0 });
  });
});
