import { cpuByPart, cpuSnapshot, machineCpuMs } from './cpu.js';

describe('cpuSnapshot', () => {
  it('reads each source and leaves out those that have ended', () => {
    const snapshot = cpuSnapshot([{ part: 'a', pid: 1 }, { part: 'b', pid: 2 }], (pid) => (pid === 1 ? 50 : undefined));
    expect([...snapshot]).toEqual([[1, { part: 'a', ms: 50 }]]);
  });
});

describe('cpuByPart', () => {
  it('sums the CPU each part used; a new process counts from zero, an ended one is left out', () => {
    const before = new Map([[1, { part: 'gateway', ms: 100 }], [2, { part: 'postgres', ms: 10 }], [3, { part: 'postgres', ms: 5 }]]);
    const after = new Map([[1, { part: 'gateway', ms: 400 }], [2, { part: 'postgres', ms: 30 }], [4, { part: 'postgres', ms: 7 }]]);
    expect(cpuByPart(before, after)).toEqual({ gateway: 300, postgres: 27 });
  });
});

describe('machineCpuMs', () => {
  it('counts every CPU state but idle and iowait, in ms', () => {
    expect(machineCpuMs('cpu  100 5 50 1000 20 3 2 0 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n')).toBe(1600);
  });

  it('is undefined without a readable cpu line', () => {
    expect(machineCpuMs('nothing')).toBeUndefined();
  });
});
