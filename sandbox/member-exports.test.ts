import { CSV_COLUMNS, csvField, csvLine, csvRow, ndjsonLines, take } from './member-exports.js';
import type { RegistryMember } from './members.js';
import { defaultSeedFile, loadSeedFile } from './seed.js';

const insurer = loadSeedFile(defaultSeedFile()).insurers[0]!;

function member(value: string, plan = 'STANDARD'): RegistryMember {
  return {
    identifier: { system: insurer.memberSystem, value },
    period: { start: '2025-01-01', end: '2025-12-31' },
    plan,
    status: 'active',
    lastUpdated: '2025-06-15T10:00:00.000Z',
  };
}

describe('member exports', () => {
  test('CSV fields are quoted only when they hold a comma, a quote or a line break', () => {
    expect(csvField('GOLD')).toBe('GOLD');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvLine(CSV_COLUMNS)).toBe('member_id,coverage_id,plan,start,end,status,relationship,subscriber_id\r\n');
  });

  test('a CSV row per member', () => {
    expect(csvRow(insurer, member('M0042', 'GOLD, "plus"'))).toBe('M0042,cov-M0042,"GOLD, ""plus""",2025-01-01,2025-12-31,active,self,M0042\r\n');
  });

  test('NDJSON: Patient then Coverage per member, one JSON document per line', () => {
    const lines = [...ndjsonLines(insurer, [member('M0001'), member('M0002')])];
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map((l) => (JSON.parse(l) as { resourceType: string; id: string }).id)).toEqual(['pat-M0001', 'cov-M0001', 'pat-M0002', 'cov-M0002']);
  });

  test('take stops after the limit, without pulling further items', () => {
    let pulled = 0;
    function* counting(): Generator<number> {
      for (;;) yield ++pulled;
    }
    expect([...take(counting(), 3)]).toEqual([1, 2, 3]);
    expect(pulled).toBe(3);
    expect([...take([1, 2], 0)]).toEqual([]);
    expect([...take([1, 2], undefined)]).toEqual([1, 2]);
  });
});
