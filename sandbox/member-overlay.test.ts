import { MemberOverlay } from './member-overlay.js';
import type { MemberCoverage } from './members.js';

const START = new Date('2025-06-15T10:00:00.000Z');

function member(value: string): MemberCoverage {
  return { identifier: { system: 'urn:test', value }, period: { start: '2025-01-01', end: '2025-12-31' }, plan: 'STANDARD', status: 'active' };
}

describe('member overlay', () => {
  test('stamps grow strictly per insurer, even within one millisecond, and start after the server start', () => {
    const overlay = new MemberOverlay(START);
    const stamps = ['A1', 'A2', 'A1'].map((v) => overlay.put('ins', member(v), START).lastUpdated);
    expect(stamps).toEqual(['2025-06-15T10:00:00.001Z', '2025-06-15T10:00:00.002Z', '2025-06-15T10:00:00.003Z']);
    // A clock ahead of the stamps is used as is; another insurer has its own sequence.
    expect(overlay.put('ins', member('A3'), new Date('2025-06-15T11:00:00.000Z')).lastUpdated).toBe('2025-06-15T11:00:00.000Z');
    expect(overlay.put('other', member('A1'), START).lastUpdated).toBe('2025-06-15T10:00:00.001Z');
  });

  test('a member changed again moves to the end of the change order; numbers list in string order', () => {
    const overlay = new MemberOverlay(START);
    for (const v of ['B', 'A', 'C', 'B']) overlay.put('ins', member(v), START);
    expect(overlay.byChange('ins').map((m) => m.identifier.value)).toEqual(['A', 'C', 'B']);
    expect(overlay.numbers('ins')).toEqual(['A', 'B', 'C']);
  });

  test('clear forgets the members but never reuses a stamp', () => {
    const overlay = new MemberOverlay(START);
    overlay.put('ins', member('A'), START);
    overlay.clear();
    expect(overlay.get('ins', 'A')).toBeUndefined();
    expect(overlay.put('ins', member('A'), START).lastUpdated).toBe('2025-06-15T10:00:00.002Z');
  });
});
