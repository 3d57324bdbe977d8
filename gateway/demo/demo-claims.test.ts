import type { BundleEntry, Claim, Coverage, Patient, Reference } from '@medplum/fhirtypes';
import {
  buildClaimBundle,
  buildScenarios,
  DEMO_INSURERS,
  PEND_THRESHOLD,
  SCENARIO_KINDS,
  scenarioMix,
  type DemoScenario,
} from './demo-claims.js';
import { fileURLToPath } from 'node:url';
import { Conformance } from '../validation/conformance.js';
import { readSeedFile } from '../participants/seed.js';

const DEMO_SEED_FILE = fileURLToPath(new URL('./seed/demo-participants.json', import.meta.url));

const NOW = new Date('2025-06-15T09:30:00.000Z');
const OPTIONS = { count: 40, seed: 1, runId: '20250615093000000' };

function parts(scenario: DemoScenario) {
  const bundle = buildClaimBundle(scenario, NOW);
  const entries = bundle.entry ?? [];
  const resolve = (ref: Reference | undefined): BundleEntry | undefined => entries.find((e) => e.fullUrl === ref?.reference);
  const claim = entries[0]?.resource as Claim;
  return { bundle, entries, claim, resolve };
}

describe('buildScenarios', () => {
  const scenarios = buildScenarios(OPTIONS);

  test('gives as many submissions as asked, numbered in order', () => {
    expect(scenarios).toHaveLength(40);
    expect(scenarios.map((s) => s.index)).toEqual([...Array(40).keys()]);
  });

  test('is deterministic for the same seed and differs for another seed', () => {
    expect(buildScenarios(OPTIONS)).toEqual(scenarios);
    const other = buildScenarios({ ...OPTIONS, seed: 2 });
    expect(other.map((s) => [s.kind, s.member])).not.toEqual(scenarios.map((s) => [s.kind, s.member]));
  });

  test('mixes mostly routine claims with every other kind, in the announced numbers', () => {
    const counts = Object.fromEntries(SCENARIO_KINDS.map((kind) => [kind, scenarios.filter((s) => s.kind === kind).length]));
    expect(counts).toEqual(scenarioMix(40));
    for (const kind of SCENARIO_KINDS) expect(counts[kind]).toBeGreaterThan(0);
    expect(counts.routine).toBeGreaterThan(40 / 2);
    expect(counts.duplicate).toBe(1);
  });

  test.each([1, 2, 5, 7, 8, 40, 200])('a run of %i submission(s) adds up, and holds every kind from 7', (count) => {
    const mix = scenarioMix(count);
    expect(Object.values(mix).reduce((a, b) => a + b, 0)).toBe(count);
    expect(mix.routine).toBeGreaterThanOrEqual(1);
    if (count >= 7) for (const kind of SCENARIO_KINDS) expect(mix[kind]).toBeGreaterThan(0);
    expect(buildScenarios({ ...OPTIONS, count })).toHaveLength(count);
  });

  test('uses both providers and both insurers', () => {
    expect(new Set(scenarios.map((s) => s.provider))).toEqual(new Set(['demo-clinic', 'demo-hospital']));
    expect(new Set(scenarios.map((s) => s.insurer))).toEqual(new Set(['demo-insurer', 'demo-mutuelle']));
  });

  test('claim identifiers are unique except for the one resubmission, which repeats an earlier routine claim', () => {
    const distinct = scenarios.filter((s) => s.duplicateOf === undefined);
    expect(new Set(distinct.map((s) => s.identifier.value)).size).toBe(distinct.length);
    const resubmission = scenarios.find((s) => s.kind === 'duplicate')!;
    const original = scenarios[resubmission.duplicateOf!]!;
    expect(resubmission.index).toBe(scenarios.length - 1);
    expect(original.kind).toBe('routine');
    expect(resubmission.identifier).toEqual(original.identifier);
    expect(buildClaimBundle(resubmission, NOW)).toEqual(buildClaimBundle(original, NOW));
  });

  test('identifiers carry the provider and the run id', () => {
    for (const s of scenarios) {
      expect(s.identifier.system).toBe(`urn:${s.provider}:claim`);
      expect(s.identifier.value).toContain(OPTIONS.runId);
    }
  });

  test('members fall in the ranges the sandbox treats as covered, lapsed or unknown', () => {
    for (const s of scenarios) {
      const { prefix } = DEMO_INSURERS[s.insurer];
      expect(s.member).toMatch(new RegExp(`^${prefix}\\d{4}$`));
      const n = Number(s.member.slice(1));
      if (s.kind === 'lapsed-member') expect(n).toBeGreaterThanOrEqual(901);
      if (s.kind === 'lapsed-member') expect(n).toBeLessThanOrEqual(1000);
      if (s.kind === 'unknown-member') expect(n).toBeGreaterThan(1000);
      if (!['lapsed-member', 'unknown-member'].includes(s.kind)) expect(n).toBeLessThanOrEqual(900);
    }
  });

  test('expected answers follow the sandbox rules', () => {
    for (const s of scenarios) {
      const excluded = s.items.filter((i) => i.code.startsWith('COSM')).length;
      expect(s.expected.pended).toBe(s.kind !== 'lapsed-member' && s.kind !== 'unknown-member' && s.total > PEND_THRESHOLD);
      if (s.kind === 'above-threshold') expect(s.total).toBeGreaterThan(PEND_THRESHOLD);
      if (s.kind === 'routine' || s.kind === 'above-threshold') expect(s.expected.status).toBe('complete');
      if (s.kind === 'excluded-item') expect([s.expected.status, excluded]).toEqual(['partial', 1]);
      if (s.kind === 'all-excluded') expect([s.expected.status, s.expected.benefit]).toEqual(['error', 0]);
      if (s.kind === 'lapsed-member' || s.kind === 'unknown-member') expect(s.expected).toEqual({ status: 'error', pended: false });
    }
    const routine = scenarios.find((s) => s.kind === 'routine' && s.insurer === 'demo-insurer')!;
    expect(routine.expected.benefit).toBe(routine.items.reduce((sum, i) => sum + Math.round(i.net * 0.8), 0));
  });
});

describe('buildClaimBundle', () => {
  const scenarios = buildScenarios(OPTIONS);

  test('is a collection whose first entry is the Claim, followed by its Patient and Coverage', () => {
    for (const s of scenarios) {
      const { bundle, entries } = parts(s);
      expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
      expect(entries.map((e) => e.resource?.resourceType)).toEqual(['Claim', 'Patient', 'Coverage']);
      for (const e of entries) expect(e.fullUrl).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  test('references resolve to entries of the bundle', () => {
    for (const s of scenarios) {
      const { claim, resolve } = parts(s);
      expect(resolve(claim.patient)?.resource?.resourceType).toBe('Patient');
      const coverage = resolve(claim.insurance[0]?.coverage)?.resource as Coverage;
      expect(coverage.resourceType).toBe('Coverage');
      expect(resolve(coverage.beneficiary)?.resource?.resourceType).toBe('Patient');
    }
  });

  test('names the submitting provider and the insurer as participants, and the member on Patient and Coverage', () => {
    for (const s of scenarios) {
      const { claim, entries } = parts(s);
      expect(claim.provider).toEqual({ identifier: { system: 'urn:passerelle:participant', value: s.provider } });
      expect(claim.insurer).toEqual({ identifier: { system: 'urn:passerelle:participant', value: s.insurer } });
      const member = { system: DEMO_INSURERS[s.insurer].memberSystem, value: s.member };
      expect((entries[1]?.resource as Patient).identifier).toEqual([member]);
      expect((entries[2]?.resource as Coverage).identifier).toEqual([member]);
      expect((entries[2]?.resource as Coverage).payor).toEqual([{ identifier: { system: 'urn:passerelle:participant', value: s.insurer } }]);
    }
  });

  test('the total is the sum of the item nets, each net unitPrice × quantity, all in XOF', () => {
    for (const s of scenarios) {
      const { claim } = parts(s);
      const items = claim.item ?? [];
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        expect(item.net).toEqual({ value: item.unitPrice!.value! * item.quantity!.value!, currency: 'XOF' });
        expect(item.unitPrice?.currency).toBe('XOF');
      }
      expect(claim.total).toEqual({ value: items.reduce((sum, i) => sum + i.net!.value!, 0), currency: 'XOF' });
      expect(claim.total?.value).toBe(s.total);
    }
  });

  test('carries what the gateway requires, dated today', () => {
    const { claim, entries } = parts(scenarios[0]!);
    expect(claim).toMatchObject({
      status: 'active', use: 'claim', created: NOW.toISOString(), billablePeriod: { start: '2025-06-15', end: '2025-06-15' },
      identifier: [scenarios[0]!.identifier],
      priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true }],
    });
    expect(claim.id).toBeUndefined();
    expect(claim.type.coding?.[0]?.system).toBe('http://terminology.hl7.org/CodeSystem/claim-type');
    expect(claim.item?.every((i, n) => i.sequence === n + 1 && i.servicedDate === '2025-06-15')).toBe(true);
    expect(claim.item?.[0]?.productOrService.coding?.[0]).toMatchObject({ system: 'urn:passerelle:demo:tariff' });
    const patient = entries[1]?.resource as Patient;
    expect(patient.name?.[0]?.family).toMatch(/^\p{L}[\p{L} '-]*$/u);
    expect(patient.gender).toMatch(/^(female|male)$/);
    expect(patient.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((entries[2]?.resource as Coverage).status).toBe('active');
  });

  test('meets FHIR R4 and the packs in force for the demo insurers (no unknown elements)', async () => {
    const conformance = await Conformance.load();
    const seed = readSeedFile(DEMO_SEED_FILE, { sandboxUrl: 'http://sandbox' }, true);
    const packsOf = (insurer: string) => conformance.packsInForce(seed.participants.find((p) => p.id === insurer)?.profilePacks ?? [], NOW);
    expect(packsOf('demo-insurer').map((p) => `${p.pack}@${p.version}`)).toEqual(['passerelle-base@1.0.0', 'demo-ipm@1.0.0']);
    for (const s of scenarios) {
      const bundle = buildClaimBundle(s, NOW) as unknown as Record<string, unknown>;
      expect(conformance.validate(bundle, { expression: 'Bundle', packs: packsOf(s.insurer) }).filter((i) => i.severity === 'error')).toEqual([]);
    }
    const packs = packsOf('demo-insurer');
    const { bundle, claim } = parts(scenarios[0]!);
    const unknownElement = { ...bundle, entry: [{ ...bundle.entry![0], resource: { ...claim, charge: 1 } }, ...bundle.entry!.slice(1)] };
    expect(conformance.validate(unknownElement, { packs }).map((i) => i.expression?.[0])).toContain('Bundle.entry[0].resource.charge');
  });

  test('a hospital claim is institutional, a clinic claim professional', () => {
    for (const s of scenarios) {
      expect(parts(s).claim.type.coding?.[0]?.code).toBe(s.provider === 'demo-hospital' ? 'institutional' : 'professional');
    }
  });
});
