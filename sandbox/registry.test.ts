import { InsurerRegistry, findMember } from './registry.js';
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
  test('the demo seed holds the IPM and the mutuelle with their OAuth clients', () => {
    expect(seed.insurers.map((i) => [i.id, i.payerSharePercent, i.gatewayClient.clientId])).toEqual([
      ['demo-insurer', 80, 'demo-insurer'],
      ['demo-mutuelle', 50, 'demo-mutuelle'],
    ]);
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
});
