import { OTHER_PART, profileParts, type CpuProfile } from './profile.js';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });

describe('profileParts', () => {
  it('gives each sample to the first known part from the leaf up, keeping idle and GC apart', () => {
    const profile: CpuProfile = {
      nodes: [
        frame(1, '(root)', '', [2, 5, 6, 7]),
        frame(2, 'insert', 'file:///app/dist/gateway/claims/claim-repository.js', [3]),
        frame(3, 'query', 'file:///app/node_modules/pg/lib/client.js', [4]),
        frame(4, 'writev', ''),
        frame(5, '(idle)', ''),
        frame(6, '(garbage collector)', ''),
        frame(7, 'processTicksAndRejections', 'node:internal/process/task_queues'),
      ],
      samples: [4, 4, 2, 5, 6, 7],
      timeDeltas: [1000, 1000, 500, 3000, 250, 100],
    };
    expect(profileParts(profile)).toEqual({
      'PostgreSQL client (pg, its socket writes)': 2,
      'gateway code (claims, audit, queue, workers, adapters)': 0.5,
      '(idle)': 3,
      '(garbage collector)': 0.25,
      [OTHER_PART]: 0.1,
    });
  });
});
