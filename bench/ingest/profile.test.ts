import { moduleOf, summariseProfile, type CpuProfile } from './profile.js';

describe('moduleOf', () => {
  it('names npm packages, scoped ones included, repository files by their source, node and V8 frames', () => {
    expect(moduleOf('file:///work/main/node_modules/pg/lib/client.js')).toBe('pg');
    expect(moduleOf('file:///work/main/node_modules/@medplum/core/dist/esm/index.mjs')).toBe('@medplum/core');
    expect(moduleOf('file:///work/main/dist/gateway/validation/conformance.js')).toBe('gateway/validation/conformance.ts');
    expect(moduleOf('node:internal/streams/readable')).toBe('node:internal/streams/readable');
    expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(moduleOf('', 'JSONParse')).toBe('(native)');
  });
});

describe('summariseProfile', () => {
  const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('validate', 'file:///r/dist/gateway/validation/conformance.js', 9) },
      { id: 4, callFrame: frame('query', 'file:///r/node_modules/pg/lib/client.js', 99) },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    samples: [2, 3, 3, 4, 5, 3, 2],
    timeDeltas: [1000, 2000, 2000, 1000, 500, 2000, 3000],
  };

  it('adds self time per module and per function, idle apart, biggest first', () => {
    const summary = summariseProfile(profile);
    expect(summary.totalMs).toBe(11.5);
    expect(summary.idleMs).toBe(4);
    expect(summary.byModule.map((m) => [m.name, m.ms])).toEqual([['gateway/validation/conformance.ts', 6], ['pg', 1], ['(garbage collector)', 0.5]]);
    expect(summary.byModule[0]!.share).toBeCloseTo(0.8);
    expect(summary.byFunction[0]!.name).toBe('validate gateway/validation/conformance.ts:10');
  });

  it('keeps the top entries only', () => {
    expect(summariseProfile(profile, 1).byModule).toHaveLength(1);
  });
});
