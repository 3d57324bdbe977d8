import { mergeAscending, membersByChange, membersByNumber, rangeNumbers } from './member-listing.js';
import { InsurerRegistry } from './registry.js';
import { parseSeed, type MemberRangeSeed, type SandboxSeedInput } from './seed.js';

const START = new Date('2025-06-15T10:00:00.000Z');
const START_MS = START.getTime();

function range(overrides: Partial<MemberRangeSeed>): MemberRangeSeed {
  return { prefix: 'M', digits: 4, from: 1, to: 10, coverage: { startYearOffset: 0, endYearOffset: 0 }, plan: 'STANDARD', ...overrides };
}

function registryOf(members: Partial<MemberRangeSeed>[]): InsurerRegistry {
  const insurer = {
    id: 'ins',
    name: 'Test insurer',
    memberSystem: 'urn:test:member',
    members: members.map(range),
    payerSharePercent: 80,
    excludedServiceCodes: [],
    pendThreshold: 1000,
    currency: 'XOF' as const,
    gatewayClient: { clientId: 'ins', clientSecret: 'secret' },
  };
  return new InsurerRegistry(parseSeed({ insurers: [insurer] } satisfies SandboxSeedInput), () => START);
}

function first<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length === n) break;
    out.push(item);
  }
  return out;
}

describe('member listing', () => {
  test('a range lists its numbers in order, and seeks past a number without walking from the start', () => {
    expect([...rangeNumbers(range({ from: 8, to: 12, digits: 2 }))]).toEqual(['08', '09', '10', '11', '12'].map((d) => `M${d}`));
    expect([...rangeNumbers(range({ from: 1, to: 5 }), 'M0003')]).toEqual(['M0004', 'M0005']);
    // A string between two numbers, or outside the range, still lands on the next number.
    expect([...rangeNumbers(range({ from: 1, to: 5 }), 'M0002x')]).toEqual(['M0003', 'M0004', 'M0005']);
    expect([...rangeNumbers(range({ from: 1, to: 5 }), 'A')]).toHaveLength(5);
    expect([...rangeNumbers(range({ from: 1, to: 5 }), 'Z')]).toEqual([]);
    const huge = range({ digits: 7, from: 0, to: 9_999_999 });
    expect(first(rangeNumbers(huge, 'M9999997'), 5)).toEqual(['M9999998', 'M9999999']);
  });

  test('numbers wider than the range digits are not listed (they are not members)', () => {
    expect([...rangeNumbers(range({ digits: 2, from: 98, to: 150 }))]).toEqual(['M98', 'M99']);
  });

  test('merging keeps string order across ranges and drops duplicates', () => {
    const merged = [...mergeAscending([['A10', 'A11', 'A12'], ['A100', 'A101'], ['A11', 'B']])];
    expect(merged).toEqual(['A10', 'A100', 'A101', 'A11', 'A12', 'B']);
  });

  test('members by number: ranges and changes together, a change winning, without materialising the range', () => {
    const registry = registryOf([{ digits: 7, from: 0, to: 9_999_999 }]);
    const insurer = registry.list()[0]!;
    registry.changeMember(insurer, { member: 'M0000001', status: 'cancelled' });
    registry.changeMember(insurer, { member: 'M00000005' });
    const listed = first(membersByNumber(registry, insurer), 4);
    // String order: M00000005 (created, outside the range) sorts between M0000000 and M0000001.
    expect(listed.map((m) => [m.identifier.value, m.status])).toEqual([
      ['M0000000', 'active'],
      ['M00000005', 'active'],
      ['M0000001', 'cancelled'],
      ['M0000002', 'active'],
    ]);
  });

  test('members by change: range members at the start instant by number, then changes in the order made', () => {
    const registry = registryOf([{ from: 1, to: 3 }]);
    const insurer = registry.list()[0]!;
    registry.changeMember(insurer, { member: 'M0002', plan: 'GOLD' });
    registry.changeMember(insurer, { member: 'M0001', status: 'cancelled' });
    const all = [...membersByChange(registry, insurer, undefined, true)];
    expect(all.map((m) => [m.identifier.value, m.lastUpdated])).toEqual([
      ['M0003', START.toISOString()],
      ['M0002', new Date(START_MS + 1).toISOString()],
      ['M0001', new Date(START_MS + 2).toISOString()],
    ]);
    // Resuming after each position gives exactly the rest.
    expect([...membersByChange(registry, insurer, { time: START_MS, member: 'M0003' }, true)].map((m) => m.identifier.value)).toEqual(['M0002', 'M0001']);
    expect([...membersByChange(registry, insurer, { time: START_MS + 1, member: 'M0002' }, true)].map((m) => m.identifier.value)).toEqual(['M0001']);
    expect([...membersByChange(registry, insurer, undefined, false)].map((m) => m.identifier.value)).toEqual(['M0002', 'M0001']);
  });
});
