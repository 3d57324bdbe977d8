import type { Bundle, Coverage } from '@medplum/fhirtypes';
import { decodeCursor, encodeCursor, parseCoverageQuery, searchCoverage, type CoverageQuery } from './coverage-search.js';
import { InsurerRegistry } from './registry.js';
import { defaultSeedFile, loadSeedFile } from './seed.js';

const NOW = new Date('2025-06-15T10:00:00.000Z');
const SELF = 'http://sandbox.test/demo-insurer/fhir/Coverage';

function query(params: Record<string, unknown>): CoverageQuery {
  const parsed = parseCoverageQuery(params);
  if ('issues' in parsed) throw new Error(JSON.stringify(parsed.issues));
  return parsed;
}

function issuesOf(params: Record<string, unknown>): { code: string; diagnostics?: string }[] {
  const parsed = parseCoverageQuery(params);
  return 'issues' in parsed ? parsed.issues : [];
}

function setup(): { registry: InsurerRegistry; search: (params: Record<string, unknown>) => Bundle } {
  const registry = new InsurerRegistry(loadSeedFile(defaultSeedFile()), () => NOW);
  const insurer = registry.get('demo-insurer')!;
  return { registry, search: (params) => searchCoverage(registry, insurer, query(params), SELF) };
}

function members(bundle: Bundle): string[] {
  return (bundle.entry ?? []).map((e) => (e.resource as Coverage).subscriberId ?? '?');
}

describe('Coverage search parameters', () => {
  test('defaults, and every supported parameter read', () => {
    expect(query({})).toEqual({ identifiers: [], count: 100, includePatients: false });
    expect(
      query({
        identifier: 'urn:s|M1',
        'beneficiary:identifier': 'M1',
        _lastUpdated: 'ge2025-06-15T10:00:00.000Z',
        _count: '5000',
        _include: 'Coverage:beneficiary',
      }),
    ).toEqual({
      identifiers: [{ system: 'urn:s', value: 'M1' }, { value: 'M1' }],
      since: { time: NOW.getTime(), inclusive: true },
      count: 1000,
      includePatients: true,
    });
  });

  test('a "+" time zone decoded as a space is put back', () => {
    expect(query({ _lastUpdated: 'gt2025-06-15T11:00:00 01:00' }).since).toEqual({ time: NOW.getTime(), inclusive: false });
  });

  test('unknown, repeated and invalid parameters are each reported', () => {
    expect(issuesOf({ patient: 'x' })).toEqual([expect.objectContaining({ code: 'not-supported', diagnostics: expect.stringContaining('"patient"') })]);
    expect(issuesOf({ identifier: ['a', 'b'] })[0]?.code).toBe('invalid');
    expect(issuesOf({ _lastUpdated: 'lt2025-06-15T10:00:00Z' })[0]?.code).toBe('not-supported');
    expect(issuesOf({ _lastUpdated: 'gt2025-06-15' })[0]?.code).toBe('invalid');
    expect(issuesOf({ _count: '0' })[0]?.code).toBe('invalid');
    expect(issuesOf({ _include: 'Coverage:payor' })[0]?.code).toBe('not-supported');
    expect(issuesOf({ _cursor: 'nonsense' })[0]?.code).toBe('invalid');
    expect(issuesOf({ identifier: '|' })[0]?.code).toBe('invalid');
    expect(issuesOf({ foo: '1', bar: '2' })).toHaveLength(2);
  });

  test('cursors round-trip and refuse what the server did not make', () => {
    const key = { time: NOW.getTime(), member: 'M0042' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    expect(decodeCursor(Buffer.from('{"a":1}').toString('base64url'))).toBeUndefined();
  });
});

describe('Coverage search', () => {
  test('by member number: the member once, with a total; another system or two numbers match nothing', () => {
    const { search } = setup();
    expect(search({ identifier: 'urn:passerelle:demo-insurer:member|M0042' })).toMatchObject({ total: 1, entry: [{ resource: { id: 'cov-M0042' } }] });
    expect(search({ identifier: 'urn:other|M0042' })).toMatchObject({ total: 0, entry: [] });
    expect(search({ identifier: 'M0042', 'beneficiary:identifier': 'M0043' })).toMatchObject({ total: 0, entry: [] });
    expect(search({ identifier: 'urn:passerelle:demo-insurer:member|' }).total).toBeUndefined();
  });

  test('pages follow each other by the next link, each member once, in lastUpdated then id order', () => {
    const { registry, search } = setup();
    registry.changeMember(registry.get('demo-insurer')!, { member: 'M0005', plan: 'GOLD' });
    const seen: string[] = [];
    let params: Record<string, unknown> = { _count: '300' };
    for (let page = 0; page < 10; page++) {
      const bundle = search(params);
      seen.push(...members(bundle));
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      if (!next) break;
      expect(next.startsWith(`${SELF}?`)).toBe(true);
      params = Object.fromEntries(new URL(next).searchParams);
    }
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    expect(seen.at(-1)).toBe('M0005');
    expect(seen.slice(0, 5)).toEqual(['M0001', 'M0002', 'M0003', 'M0004', 'M0006']);
  });

  test('_lastUpdated=gt the start lists changes only; ge the start lists everyone', () => {
    const { registry, search } = setup();
    expect(search({ _lastUpdated: `gt${NOW.toISOString()}` }).entry).toEqual([]);
    registry.changeMember(registry.get('demo-insurer')!, { member: 'M2001' });
    expect(members(search({ _lastUpdated: `gt${NOW.toISOString()}` }))).toEqual(['M2001']);
    expect(search({ _lastUpdated: `ge${NOW.toISOString()}`, _count: '1000' }).entry).toHaveLength(1000);
  });
});
