import { MIN_SAMPLES_FOR_P99, median, scoreTable, summarise } from './measure.js';

describe('summarise', () => {
  it('gives mean, nearest-rank p50 and p99, min and max', () => {
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i); // 200..1, unsorted
    const timing = summarise(samples);
    expect(timing).toEqual({ samples: 200, meanMs: 100.5, p50Ms: 100, p99Ms: 198, minMs: 1, maxMs: 200 });
  });

  it('gives no p99 below the sample count that makes one meaningful', () => {
    expect(summarise(Array.from({ length: MIN_SAMPLES_FOR_P99 - 1 }, () => 1)).p99Ms).toBeNull();
  });

  it('refuses an empty series', () => {
    expect(() => summarise([])).toThrow();
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('scoreTable', () => {
  const table = (better: 'lower' | 'higher', ours: number | null, baseline: number | null) => scoreTable({
    title: 't', subjectLabel: 's', unit: 'ms', better, ratioMeaning: 'faster', baselines: ['b'],
    target: { baseline: 'b', minRatio: 20 }, rows: [{ subject: 'x', metric: 'p50', ours, baselines: { b: baseline } }],
  }).rows[0]!;

  it('divides the baseline by Passerelle when lower is better, and judges the target', () => {
    expect(table('lower', 1, 25)).toMatchObject({ ratios: { b: 25 }, targetMet: true });
    expect(table('lower', 1, 5)).toMatchObject({ ratios: { b: 5 }, targetMet: false });
  });

  it('divides Passerelle by the baseline when higher is better', () => {
    expect(table('higher', 100, 4).ratios.b).toBe(25);
  });

  it('leaves the ratio and the verdict open when a figure is missing', () => {
    expect(table('lower', 1, null)).toMatchObject({ ratios: { b: null }, targetMet: null });
  });
});
