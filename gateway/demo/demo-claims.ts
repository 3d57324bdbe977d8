/**
 * The sample claims of `npm run demo`: a deterministic mix of scenarios (routine care, an excluded
 * service, lapsed and unknown members, claims above the pend threshold, one resubmission) and the FHIR
 * Bundle each one is submitted as. Pure: the same options always give the same scenarios and bundles,
 * and the sandbox insurer's rules (docs/sandbox.md) predict the answer to each, which is kept as
 * `expected` so the demo can say when the pipeline did something else.
 */
import { createHash } from 'node:crypto';
import type { Bundle, Claim, ClaimItem, Coverage, Patient } from '@medplum/fhirtypes';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';

export type DemoProvider = 'demo-clinic' | 'demo-hospital';
export type DemoInsurer = 'demo-insurer' | 'demo-mutuelle';

/** Every kind of scenario, in the order they are described in docs/demo.md. */
export const SCENARIO_KINDS = [
  'routine', 'excluded-item', 'all-excluded', 'lapsed-member', 'unknown-member', 'above-threshold', 'duplicate',
] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** Code system of the demo tariff (service codes the sandbox insurers know). */
export const TARIFF_SYSTEM = 'urn:passerelle:demo:tariff';

/** The demo tariff in XOF. COSM01 and COSM02 are excluded by both sandbox insurers. */
export const DEMO_TARIFF = {
  CONS01: { display: 'Consultation de médecine générale', price: 15000 },
  CONS02: { display: 'Consultation spécialisée', price: 25000 },
  LAB01: { display: 'Numération formule sanguine', price: 8000 },
  LAB02: { display: 'Glycémie à jeun', price: 3000 },
  RAD01: { display: 'Radiographie thoracique', price: 25000 },
  ECHO01: { display: 'Échographie abdominale', price: 30000 },
  PHA01: { display: 'Médicaments sur ordonnance', price: 12000 },
  HOSP01: { display: 'Hospitalisation, forfait séjour', price: 650000 },
  COSM01: { display: 'Soin esthétique du visage', price: 45000 },
  COSM02: { display: 'Blanchiment dentaire', price: 60000 },
} as const;
export type ServiceCode = keyof typeof DEMO_TARIFF;

const ROUTINE_SERVICES: readonly ServiceCode[] = ['CONS01', 'CONS02', 'LAB01', 'LAB02', 'RAD01', 'ECHO01', 'PHA01'];
const EXCLUDED_SERVICES: readonly ServiceCode[] = ['COSM01', 'COSM02'];

/** What the sandbox does with each insurer's members (sandbox/seed/demo-insurers.json). */
export const DEMO_INSURERS: Readonly<Record<DemoInsurer, { memberSystem: string; prefix: string; payerSharePercent: number }>> = {
  'demo-insurer': { memberSystem: 'urn:passerelle:demo-insurer:member', prefix: 'M', payerSharePercent: 80 },
  'demo-mutuelle': { memberSystem: 'urn:passerelle:demo-mutuelle:member', prefix: 'C', payerSharePercent: 50 },
};

/** Claims whose total is above this are pended by the sandbox and answered later. */
export const PEND_THRESHOLD = 500000;

/** Share of the claims (other than the resubmission) given to each special kind; routine takes the rest. */
const SPECIAL_SHARES: ReadonlyArray<readonly [ScenarioKind, number]> = [
  ['excluded-item', 0.125], ['above-threshold', 0.075], ['lapsed-member', 0.075], ['unknown-member', 0.05], ['all-excluded', 0.025],
];

export interface DemoItem {
  readonly code: ServiceCode;
  readonly display: string;
  readonly unitPrice: number;
  readonly quantity: number;
  readonly net: number;
}

export interface DemoPatient {
  readonly given: string;
  readonly family: string;
  readonly gender: 'female' | 'male';
  readonly birthDate: string;
}

/** The answer the sandbox's rules give, once final. */
export interface ExpectedAnswer {
  readonly status: 'complete' | 'partial' | 'error';
  /** Benefit in XOF; undefined when the member is refused (no totals in that answer). */
  readonly benefit?: number;
  /** Whether the first answer is "queued" (total above the pend threshold). */
  readonly pended: boolean;
}

/** One sample claim. */
export interface DemoScenario {
  /** Position in the run, from 0; also the order of submission. */
  readonly index: number;
  readonly kind: ScenarioKind;
  readonly provider: DemoProvider;
  readonly insurer: DemoInsurer;
  /** Member number in the insurer's member system. */
  readonly member: string;
  readonly patient: DemoPatient;
  readonly items: readonly DemoItem[];
  readonly total: number;
  readonly identifier: { readonly system: string; readonly value: string };
  /** For the resubmission: index of the claim it repeats. */
  readonly duplicateOf?: number;
  readonly expected: ExpectedAnswer;
}

export interface ScenarioOptions {
  /** Number of submissions, the resubmission included (one when count ≥ 2). */
  readonly count: number;
  /** Seed of the mix; the same seed gives the same scenarios. */
  readonly seed: number;
  /** Makes claim identifiers unique per run (e.g. a timestamp); letters, digits and dashes. */
  readonly runId: string;
}

/** A small seeded generator (mulberry32): deterministic, good enough to vary demo data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}

function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * How many claims of each kind a run of `count` submissions holds: one resubmission when count ≥ 2, at
 * least one routine claim (the one resubmitted), each special kind by its share (at least one while
 * there is room, so every kind appears from 7 submissions), and routine claims for the rest.
 */
export function scenarioMix(count: number): Record<ScenarioKind, number> {
  const mix = Object.fromEntries(SCENARIO_KINDS.map((kind) => [kind, 0])) as Record<ScenarioKind, number>;
  mix.duplicate = count >= 2 ? 1 : 0;
  const distinct = Math.max(0, count - mix.duplicate);
  let room = Math.max(0, distinct - 1);
  for (const [kind, share] of SPECIAL_SHARES) {
    mix[kind] = Math.min(room, Math.max(1, Math.round(distinct * share)));
    room -= mix[kind];
  }
  mix.routine = distinct - SPECIAL_SHARES.reduce((sum, [kind]) => sum + mix[kind], 0);
  return mix;
}

/** The kinds in submission order: the distinct claims shuffled by the seed, the resubmission last. */
export function scenarioOrder(count: number, seed: number): ScenarioKind[] {
  const mix = scenarioMix(count);
  const kinds = SCENARIO_KINDS.filter((k) => k !== 'duplicate').flatMap((kind) => Array<ScenarioKind>(mix[kind]).fill(kind));
  const random = seededRandom(seed);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return mix.duplicate ? [...kinds, 'duplicate'] : kinds;
}

/**
 * Builds the run's scenarios. Each claim's details (provider, insurer, member, services) come from a
 * generator seeded by the seed and its index, so a claim does not change when the count does not.
 */
export function buildScenarios(options: ScenarioOptions): DemoScenario[] {
  const scenarios: DemoScenario[] = [];
  for (const [index, kind] of scenarioOrder(options.count, options.seed).entries()) {
    if (kind === 'duplicate') {
      const original = scenarios.find((s) => s.kind === 'routine')!;
      scenarios.push({ ...original, index, kind, duplicateOf: original.index });
    } else {
      scenarios.push(buildScenario(index, kind, options));
    }
  }
  return scenarios;
}

function buildScenario(index: number, kind: Exclude<ScenarioKind, 'duplicate'>, options: ScenarioOptions): DemoScenario {
  const random = seededRandom(Math.imul(options.seed ^ 0x9e3779b9, 31) + index * 7919);
  const provider: DemoProvider = kind === 'above-threshold' ? 'demo-hospital' : pick(random, ['demo-clinic', 'demo-hospital'] as const);
  const insurer: DemoInsurer = pick(random, ['demo-insurer', 'demo-mutuelle'] as const);
  const member = memberNumber(random, kind, insurer);
  const items = itemsFor(random, kind);
  const number = String(index + 1).padStart(3, '0');
  return {
    index, kind, provider, insurer, member,
    patient: patientFor(member),
    items,
    total: items.reduce((sum, item) => sum + item.net, 0),
    identifier: { system: `urn:${provider}:claim`, value: `DEMO-${options.runId}-${number}` },
    expected: expectedAnswer(kind, insurer, items),
  };
}

/** A member number: covered this year (1–900), coverage ended last year (901–1000), or unknown (9000+). */
function memberNumber(random: () => number, kind: ScenarioKind, insurer: DemoInsurer): string {
  const number = kind === 'lapsed-member' ? between(random, 901, 1000)
    : kind === 'unknown-member' ? between(random, 9000, 9999)
      : between(random, 1, 900);
  return `${DEMO_INSURERS[insurer].prefix}${String(number).padStart(4, '0')}`;
}

function itemsFor(random: () => number, kind: ScenarioKind): DemoItem[] {
  const routine = (min: number, max: number) => {
    const codes = [...ROUTINE_SERVICES];
    return Array.from({ length: between(random, min, max) }, () => codes.splice(Math.floor(random() * codes.length), 1)[0]!);
  };
  switch (kind) {
    case 'excluded-item':
      return [...routine(1, 2), pick(random, EXCLUDED_SERVICES)].map((code) => item(code, 1));
    case 'all-excluded':
      return [pick(random, EXCLUDED_SERVICES)].map((code) => item(code, 1));
    case 'above-threshold':
      return [item('HOSP01', 1), item('LAB01', 1), item('PHA01', between(random, 1, 3))];
    default:
      return routine(1, 3).map((code) => item(code, code === 'PHA01' ? between(random, 1, 3) : 1));
  }
}

function item(code: ServiceCode, quantity: number): DemoItem {
  const { display, price } = DEMO_TARIFF[code];
  return { code, display, unitPrice: price, quantity, net: price * quantity };
}

/** What the sandbox answers: members refused first, then items (excluded ones get nothing). */
export function expectedAnswer(kind: ScenarioKind, insurer: DemoInsurer, items: readonly DemoItem[]): ExpectedAnswer {
  if (kind === 'lapsed-member' || kind === 'unknown-member') return { status: 'error', pended: false };
  const excluded = items.filter((i) => EXCLUDED_SERVICES.includes(i.code));
  const share = DEMO_INSURERS[insurer].payerSharePercent;
  const benefit = items.filter((i) => !excluded.includes(i)).reduce((sum, i) => sum + Math.round((i.net * share) / 100), 0);
  const status = excluded.length === 0 ? 'complete' : excluded.length === items.length ? 'error' : 'partial';
  const total = items.reduce((sum, i) => sum + i.net, 0);
  return { status, benefit, pended: total > PEND_THRESHOLD };
}

const FEMALE_NAMES = ['Awa', 'Fatou', 'Aminata', 'Mariama', 'Khady', 'Ndèye', 'Coumba', 'Aïssatou', 'Rokhaya', 'Seynabou', 'Astou', 'Dieynaba'];
const MALE_NAMES = ['Moussa', 'Mamadou', 'Ibrahima', 'Cheikh', 'Ousmane', 'Abdoulaye', 'Modou', 'Babacar', 'Serigne', 'Alioune', 'Lamine', 'Pape'];
const FAMILY_NAMES = ['Diop', 'Ndiaye', 'Fall', 'Sow', 'Diallo', 'Gueye', 'Faye', 'Sarr', 'Mbaye', 'Ba', 'Cissé', 'Thiam', 'Seck', 'Kane', 'Sy', 'Niang', 'Diouf', 'Camara', 'Mbengue', 'Touré'];

/** An invented patient, always the same for the same member number. */
export function patientFor(member: string): DemoPatient {
  const random = seededRandom(createHash('sha256').update(member).digest().readUInt32BE(0));
  const gender = random() < 0.5 ? 'female' : 'male';
  const given = pick(random, gender === 'female' ? FEMALE_NAMES : MALE_NAMES);
  const birthDate = `${between(random, 1950, 2018)}-${pad2(between(random, 1, 12))}-${pad2(between(random, 1, 28))}`;
  return { given, family: pick(random, FAMILY_NAMES), gender, birthDate };
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A UUID (version 4 layout) derived from a name, so a scenario's bundle is the same each time it is built. */
export function demoUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The Bundle a scenario is submitted as: a collection whose first entry is the Claim, then the Patient
 * and Coverage it references by `urn:uuid:` fullUrl. Dates are those of `now` (UTC, the time of Dakar).
 */
export function buildClaimBundle(scenario: DemoScenario, now: Date): Bundle {
  const patientUrl = `urn:uuid:${demoUuid(`${scenario.identifier.value}/Patient`)}`;
  const coverageUrl = `urn:uuid:${demoUuid(`${scenario.identifier.value}/Coverage`)}`;
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { fullUrl: `urn:uuid:${demoUuid(`${scenario.identifier.value}/Claim`)}`, resource: claimResource(scenario, now, patientUrl, coverageUrl) },
      { fullUrl: patientUrl, resource: patientResource(scenario) },
      { fullUrl: coverageUrl, resource: coverageResource(scenario, patientUrl) },
    ],
  };
}

function claimResource(scenario: DemoScenario, now: Date, patientUrl: string, coverageUrl: string): Claim {
  const today = now.toISOString().slice(0, 10);
  const institutional = scenario.provider === 'demo-hospital';
  return {
    resourceType: 'Claim',
    identifier: [{ ...scenario.identifier }],
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: institutional ? 'institutional' : 'professional' }] },
    use: 'claim',
    patient: { reference: patientUrl },
    billablePeriod: { start: today, end: today },
    created: now.toISOString(),
    insurer: { identifier: { system: PARTICIPANT_SYSTEM, value: scenario.insurer } },
    provider: { identifier: { system: PARTICIPANT_SYSTEM, value: scenario.provider } },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: coverageUrl } }],
    item: scenario.items.map((it, i) => claimItem(it, i + 1, today)),
    total: { value: scenario.total, currency: 'XOF' },
  };
}

function claimItem(item: DemoItem, sequence: number, today: string): ClaimItem {
  return {
    sequence,
    productOrService: { coding: [{ system: TARIFF_SYSTEM, code: item.code, display: item.display }] },
    servicedDate: today,
    quantity: { value: item.quantity },
    unitPrice: { value: item.unitPrice, currency: 'XOF' },
    net: { value: item.net, currency: 'XOF' },
  };
}

function memberIdentifier(scenario: DemoScenario): { system: string; value: string } {
  return { system: DEMO_INSURERS[scenario.insurer].memberSystem, value: scenario.member };
}

function patientResource(scenario: DemoScenario): Patient {
  const { given, family, gender, birthDate } = scenario.patient;
  return {
    resourceType: 'Patient',
    identifier: [memberIdentifier(scenario)],
    name: [{ use: 'official', family, given: [given] }],
    gender,
    birthDate,
  };
}

function coverageResource(scenario: DemoScenario, patientUrl: string): Coverage {
  return {
    resourceType: 'Coverage',
    identifier: [memberIdentifier(scenario)],
    status: 'active',
    beneficiary: { reference: patientUrl },
    payor: [{ identifier: { system: PARTICIPANT_SYSTEM, value: scenario.insurer } }],
  };
}
