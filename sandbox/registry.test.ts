import { InsurerRegistry, findMember, memberInForce } from './registry.js';
import { defaultSeedFile, loadSeedFile, parseSeed, type SandboxSeed } from './seed.js';

const seed = loadSeedFile(defaultSeedFile());

function demoInsurer(): SandboxSeed['insurers'][number] {
  const found = seed.insurers.find((i) => i.id === 'demo-insurer');
  if (!found) {
    throw new Error('demo-insurer missing from the demo seed');
  }
  return found;
}

describe('member registry', () => {
  test('the demo seed holds the IPM, the mutuelle and the openIMIS scheme with their OAuth clients', () => {
    expect(seed.insurers.map((i) => [i.id, i.payerSharePercent, i.gatewayClient.clientId])).toEqual([
      ['demo-insurer', 80, 'demo-insurer'],
      ['demo-mutuelle', 50, 'demo-mutuelle'],
      ['demo-openimis', 90, 'demo-openimis'],
    ]);
  });

  test('only the openIMIS scheme has an openIMIS face; CHF IDs are nine digits without a prefix', () => {
    expect(seed.insurers.map((i) => i.openimis)).toEqual([
      undefined,
      undefined,
      { username: 'passerelle', password: 'demo-openimis-password', tokenTtlSeconds: 300, stepMs: 2000 },
    ]);
    const openimis = seed.insurers[2]!;
    const now = new Date('2031-02-01T00:00:00Z');
    expect(findMember(openimis, '070707001', now)?.period).toEqual({ start: '2031-01-01', end: '2031-12-31' });
    expect(findMember(openimis, '070707901', now)?.period).toEqual({ start: '2030-01-01', end: '2030-12-31' });
    expect(['070707000', '070708000', '70707081', '0070707081'].map((v) => findMember(openimis, v, now))).toEqual([undefined, undefined, undefined, undefined]);
  });

  test('an openimis block needs a username and password; the TTL and step have defaults', () => {
    const [first] = seed.insurers;
    expect(() => parseSeed({ insurers: [{ ...first, openimis: { username: 'u' } }] })).toThrow(/password/);
    expect(parseSeed({ insurers: [{ ...first, openimis: { username: 'u', password: 'p' } }] }).insurers[0]?.openimis).toEqual({
      username: 'u',
      password: 'p',
      tokenTtlSeconds: 300,
      stepMs: 2000,
    });
  });

  test('coverage periods follow the clock: this year for M0001-M0900, last year for M0901-M1000', () => {
    const now = new Date('2031-02-01T00:00:00Z');
    expect(findMember(demoInsurer(), 'M0001', now)?.period).toEqual({ start: '2031-01-01', end: '2031-12-31' });
    expect(findMember(demoInsurer(), 'M0900', now)?.period).toEqual({ start: '2031-01-01', end: '2031-12-31' });
    expect(findMember(demoInsurer(), 'M0901', now)?.period).toEqual({ start: '2030-01-01', end: '2030-12-31' });
    expect(findMember(demoInsurer(), 'M1000', now)?.period).toEqual({ start: '2030-01-01', end: '2030-12-31' });
  });

  test.each(['M1001', 'M0000', 'M42', 'M00042', 'C0001', 'm0001', ''])('%j is not a member', (value) => {
    expect(findMember(demoInsurer(), value, new Date())).toBeUndefined();
  });

  test('the registry reads the injected clock on every look-up', () => {
    let now = new Date('2025-12-31T23:59:59Z');
    const registry = new InsurerRegistry(seed, () => now);
    const insurer = registry.get('demo-insurer');
    if (!insurer) {
      throw new Error('demo-insurer missing');
    }
    expect(registry.findMember(insurer, 'M0001')?.period.start).toBe('2025-01-01');
    now = new Date('2026-01-01T00:00:00Z');
    expect(registry.findMember(insurer, 'M0001')?.period.start).toBe('2026-01-01');
  });

  test('an invalid seed is refused with every problem listed', () => {
    const [first] = seed.insurers;
    const broken = { insurers: [{ ...first, payerSharePercent: 120 }, { ...first, currency: 'EUR' }] };
    expect(() => parseSeed(broken)).toThrow(/payerSharePercent[\s\S]*currency/);
  });

  test('insurer ids must be unique', () => {
    const [first] = seed.insurers;
    expect(() => parseSeed({ insurers: [first, first] })).toThrow(/unique/);
  });

  test('ranges have plan STANDARD unless the seed says otherwise', () => {
    const now = new Date('2025-06-15T00:00:00Z');
    expect(findMember(demoInsurer(), 'M0001', now)).toMatchObject({ plan: 'STANDARD', status: 'active' });
    const [first] = seed.insurers;
    const gold = parseSeed({ insurers: [{ ...first, members: [{ ...first?.members[0], plan: 'GOLD' }] }] });
    expect(findMember(gold.insurers[0]!, 'M0001', now)?.plan).toBe('GOLD');
  });

  test('a change wins over the ranges; omitted fields take the range defaults, not an earlier change', () => {
    const start = new Date('2025-06-15T10:00:00.000Z');
    const registry = new InsurerRegistry(seed, () => start);
    const insurer = demoInsurer();
    expect(registry.findMember(insurer, 'M0042')?.lastUpdated).toBe(start.toISOString());
    registry.changeMember(insurer, { member: 'M0042', status: 'cancelled', plan: 'GOLD', period: { start: '2020-01-01', end: '2020-12-31' } });
    expect(registry.findMember(insurer, 'M0042')).toMatchObject({ status: 'cancelled', plan: 'GOLD', period: { start: '2020-01-01' } });
    expect(registry.rangeMember(insurer, 'M0042')?.status).toBe('active');
    const again = registry.changeMember(insurer, { member: 'M0042' });
    expect(again).toMatchObject({ status: 'active', plan: 'STANDARD', period: { start: '2025-01-01', end: '2025-12-31' } });
    expect(again.lastUpdated).toBe('2025-06-15T10:00:00.002Z');
    // Outside every range: created for the current calendar year.
    expect(registry.changeMember(insurer, { member: 'M2001' })).toMatchObject({ period: { start: '2025-01-01', end: '2025-12-31' }, plan: 'STANDARD' });
    expect(registry.findMember(demoInsurer(), 'M2001')).toBeDefined();
  });

  test('a coverage is in force on dates of its period, and never when cancelled', () => {
    const member = findMember(demoInsurer(), 'M0001', new Date('2025-06-15T00:00:00Z'))!;
    expect(memberInForce(member, '2025-06-15')).toBe(true);
    expect(memberInForce(member, '2026-01-01')).toBe(false);
    expect(memberInForce({ ...member, status: 'cancelled' }, '2025-06-15')).toBe(false);
  });
});
