/**
 * The validation benchmark: Passerelle's engine (R4 conformance plus the passerelle-base pack, one call
 * per bundle) against @medplum/core's validateResource with the same pack's profiles (the target:
 * Passerelle at least 20× faster), then R4 conformance alone against medplum without profiles and ajv
 * on the R4 JSON schema. Reports time per bundle, cold start, and which errors each validator finds
 * that the other misses.
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { Conformance } from '../../gateway/validation/conformance.js';
import { BASE_PACK } from '../../gateway/validation/packs.js';
import { MIN_SAMPLES_FOR_P99, scoreTable, timeInterleaved, type RoundOptions, type TimingOutcome } from '../harness/measure.js';
import type { BenchContext, Benchmark, BenchmarkResult, ComparisonTable } from '../harness/types.js';
import { SchemaValidator } from '../schema-validator.js';
import { compareFindings, medplumFindings, passerelleFindings, reports, schemaFindings, type Finding } from './agreement.js';
import { coldStartTables, measureColdStarts } from './cold-starts.js';
import { indexMedplumR4, medplumIssues, packProfiles, validateWithProfiles, whyUnevaluable, type MedplumProfiles } from './medplum.js';
import { validationPayloads, type Payload } from './payloads.js';
import { agreementSections, methodSection, packCostSection, payloadSection, type PayloadAgreement } from './report.js';

export const PASSERELLE = 'Passerelle';
export const PASSERELLE_R4 = 'Passerelle, R4 only';
export const MEDPLUM_PROFILES = 'medplum + pack profiles';
export const MEDPLUM_R4 = 'medplum, R4 only';
export const AJV = 'ajv, JSON schema';
const TARGET_RATIO = 20;
/**
 * Timing per payload: the first payload warms every validator up for long (JIT tiering), later ones
 * briefly (new code paths); valid payloads get more rounds than invalid variants, which are there
 * mostly for agreement.
 */
const FIRST_WARMUP = { minCalls: 300, minMs: 1500, maxMs: 3000 };
const WARMUP = { minCalls: 10, minMs: 150, maxMs: 500 };
const VALID_ROUNDS: RoundOptions = { warmup: WARMUP, rounds: 12, sliceMs: 80, minCallsPerSlice: 9 };
const INVALID_ROUNDS: RoundOptions = { warmup: WARMUP, rounds: 5, sliceMs: 80, minCallsPerSlice: 2 };

/** A validator of whole bundles. */
interface Contender {
  readonly name: string;
  validate(bundle: Bundle): OperationOutcomeIssue[];
}

export const validationBenchmark: Benchmark = {
  name: 'validation',
  title: 'Validation of claim bundles',
  run: runValidationBenchmark,
};

async function runValidationBenchmark(context: BenchContext): Promise<BenchmarkResult> {
  const started = new Date();
  const payloads = await validationPayloads(context.root);

  context.log('validation: cold starts (fresh processes)');
  const coldStarts = await measureColdStarts(context);

  context.log('validation: loading the validators');
  const conformance = await Conformance.load();
  const packs = conformance.packsInForce([]);
  const basePack = packs.find((p) => p.pack === BASE_PACK);
  await indexMedplumR4();
  const types = [...new Set(['Bundle', ...payloads.flatMap((p) => p.bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource?.resourceType ?? '')))])].filter(Boolean);
  const profiles = packProfiles(conformance.catalogue, basePack, types);
  if (profiles.skipped) context.log(`validation: PROFILE COMPARISON SKIPPED: ${profiles.skipped}`);
  const schema = await SchemaValidator.load().catch((err: Error) => err);
  if (schema instanceof Error) context.log(`validation: ajv baseline skipped: ${schema.message}`);

  const contenders: Contender[] = [
    { name: PASSERELLE, validate: (b) => conformance.validate(b, { packs }) },
    { name: PASSERELLE_R4, validate: (b) => conformance.validate(b, { packs: [] }) },
    ...(profiles.skipped ? [] : [{ name: MEDPLUM_PROFILES, validate: (b: Bundle) => validateWithProfiles(b, profiles) }]),
    { name: MEDPLUM_R4, validate: (b) => medplumIssues(b) },
    ...(schema instanceof Error ? [] : [{ name: AJV, validate: (b: Bundle) => schema.validate(b as unknown as Record<string, unknown>, 'Bundle') }]),
  ];

  const timings = new Map<string, Map<string, TimingOutcome>>();
  const agreements: PayloadAgreement[] = [];
  for (const [index, payload] of payloads.entries()) {
    context.log(`validation: ${payload.name}`);
    const { bundles } = payload;
    const timed = contenders.map((c) => ({ name: c.name, call: (i: number) => c.validate(bundles[i % bundles.length]!) }));
    const rounds = payload.defect ? INVALID_ROUNDS : VALID_ROUNDS;
    timings.set(payload.name, timeInterleaved(timed, index === 0 ? { ...rounds, warmup: FIRST_WARMUP } : rounds));
    agreements.push(agree(payload, contenders, profiles));
  }

  const withPack = timeTable(payloads, timings, {
    title: profiles.skipped ? 'Time to validate one bundle (passerelle-base not built: R4 only on both sides)' : 'Time to validate one bundle, with the passerelle-base pack', ours: PASSERELLE, baselines: [profiles.skipped ? MEDPLUM_R4 : MEDPLUM_PROFILES],
    notes: [
      `${PASSERELLE}: \`conformance.validate(bundle, { packs: conformance.packsInForce([]) })\`, the whole bundle in one call: R4 and passerelle-base (profiles, bindings, invariants) at every depth.`,
      profiles.skipped
        ? `**Profile comparison skipped** (${profiles.skipped}): medplum validated against R4 alone, so this compares unequal work.`
        : `${MEDPLUM_PROFILES}: \`validateResource\` on each entry with the passerelle-base profile of its type, then on the Bundle with the pack's Bundle profile (which walks the entries again against R4).`,
    ],
  });
  const r4Only = timeTable(payloads, timings, {
    title: 'Time to validate one bundle, R4 conformance only', ours: PASSERELLE_R4, baselines: [MEDPLUM_R4, AJV],
    notes: [
      `${PASSERELLE_R4}: the same call with \`packs: []\`: structure, cardinalities, types and formats, required bindings, core invariants.`,
      `${MEDPLUM_R4}: \`validateResource(bundle)\` once, no profile (medplum checks no bindings).`,
      `${AJV}: the precompiled R4 JSON-schema validators (bench/schema-validator.ts), one per entry type: structure only.`,
    ],
  });
  const target = withPack.target!.baseline;
  const byFigure = ['mean', 'p50', 'p99'].map((metric) => {
    const judged = withPack.rows.filter((r) => r.metric === metric && r.targetMet !== null);
    return `${metric} ${judged.filter((r) => r.targetMet).length}/${judged.length}`;
  });
  const met = withPack.rows.every((r) => r.targetMet !== false);
  const summary = `${met ? 'Target met' : 'Target missed'}: Passerelle at least ${TARGET_RATIO}× faster than ${target} on ${byFigure.join(', ')} payloads`
    + ` (p99 judged only with ${MIN_SAMPLES_FOR_P99}+ samples on both sides).`
    + (profiles.skipped ? ` Profile comparison skipped: ${profiles.skipped}.` : '');
  return {
    name: validationBenchmark.name,
    title: validationBenchmark.title,
    startedAt: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    summary,
    tables: [withPack, r4Only, ...coldStartTables(coldStarts)],
    sections: [
      payloadSection(payloads, agreements, timings),
      packCostSection(payloads, timings, PASSERELLE, PASSERELLE_R4),
      ...agreementSections(agreements, profiles),
      methodSection(profiles, VALID_ROUNDS, INVALID_ROUNDS, FIRST_WARMUP),
    ],
    data: {
      basePack: basePack ? `${basePack.pack} ${basePack.version}` : null,
      medplumProfiles: [...profiles.byType.entries()].map(([type, sd]) => ({ type, url: sd.url, version: sd.version })),
      profileComparisonSkipped: profiles.skipped ?? null,
      rounds: { firstWarmup: FIRST_WARMUP, valid: VALID_ROUNDS, invalid: INVALID_ROUNDS },
      timings: Object.fromEntries([...timings].map(([payload, byContender]) => [payload, Object.fromEntries(byContender)])),
      coldStarts,
      agreement: agreements,
    },
  };
}

function timeTable(payloads: readonly Payload[], timings: Map<string, Map<string, TimingOutcome>>,
  spec: { title: string; ours: string; baselines: readonly string[]; notes: readonly string[] }): ComparisonTable {
  const figure = (outcome: TimingOutcome | undefined, key: 'meanMs' | 'p50Ms' | 'p99Ms') => (outcome && 'timing' in outcome ? outcome.timing[key] : null);
  const failures: string[] = [];
  const rows = payloads.flatMap((payload) => {
    const byContender = timings.get(payload.name)!;
    for (const name of [spec.ours, ...spec.baselines]) {
      const outcome = byContender.get(name);
      if (outcome && 'error' in outcome) failures.push(`${name} threw on ${payload.name}: ${outcome.error}`);
    }
    return (['meanMs', 'p50Ms', 'p99Ms'] as const).map((key) => ({
      subject: payload.name,
      metric: key.replace('Ms', ''),
      ours: figure(byContender.get(spec.ours), key),
      baselines: Object.fromEntries(spec.baselines.map((name) => [name, figure(byContender.get(name), key)])),
    }));
  });
  const withTarget = spec.ours === PASSERELLE;
  return scoreTable({
    title: spec.title, subjectLabel: 'Payload', unit: 'ms', better: 'lower', ratioMeaning: 'faster',
    baselines: spec.baselines,
    ...(withTarget ? { target: { baseline: spec.baselines[0]!, minRatio: TARGET_RATIO } } : {}),
    rows,
    notes: [...spec.notes, ...failures.map((f) => `**${f}** (no figures for it on that payload).`)],
  });
}

/** Which errors each validator finds on every bundle of a payload, and where they disagree. */
function agree(payload: Payload, contenders: readonly Contender[], profiles: MedplumProfiles): PayloadAgreement {
  const crashes: string[] = [];
  const issuesOf = (name: string, bundle: Bundle): OperationOutcomeIssue[] | undefined => {
    const contender = contenders.find((c) => c.name === name);
    try {
      return contender?.validate(bundle);
    } catch (err) {
      crashes.push(`${name} threw: ${(err as Error).message}`);
      return undefined;
    }
  };
  const medplumName = profiles.skipped ? MEDPLUM_R4 : MEDPLUM_PROFILES;
  const label = <T extends Finding>(finding: T, i: number): T => (payload.bundles.length > 1 ? { ...finding, path: `bundle ${i + 1}: ${finding.path}` } : finding);
  const hasSchema = contenders.some((c) => c.name === AJV);
  const result: PayloadAgreement = {
    payload: payload.name, meantToBeValid: !payload.defect, crashes,
    passerelleErrors: 0, medplumErrors: 0, schemaErrors: hasSchema ? 0 : null,
    defectReportedBy: payload.defect ? { passerelle: false, medplum: false, schema: hasSchema ? false : null } : undefined,
    onlyMedplum: [], onlyPasserelleVsMedplum: [], medplumUnevaluated: [], onlySchema: [], onlyPasserelleVsSchema: [],
  };
  payload.bundles.forEach((bundle, i) => {
    const ours = passerelleFindings(issuesOf(PASSERELLE, bundle) ?? []);
    const medplum = medplumFindings(issuesOf(medplumName, bundle) ?? []);
    result.passerelleErrors += ours.length;
    result.medplumErrors += medplum.findings.length;
    const vsMedplum = compareFindings(medplum.findings, ours);
    result.onlyMedplum.push(...vsMedplum.onlyFirst.map((f) => label(f, i)));
    result.onlyPasserelleVsMedplum.push(...vsMedplum.onlySecond.map((f) => label(f, i)));
    result.medplumUnevaluated.push(...medplum.unevaluated.map((f) => label({ ...f, reason: whyUnevaluable(f.expression, resourceAt(bundle, f.path)) }, i)));
    const schemaIssues = hasSchema ? issuesOf(AJV, bundle) : undefined;
    const schema = schemaFindings(schemaIssues ?? []);
    if (result.schemaErrors !== null) {
      result.schemaErrors += schema.length;
      const vsSchema = compareFindings(schema, ours);
      result.onlySchema.push(...vsSchema.onlyFirst.map((f) => label(f, i)));
      result.onlyPasserelleVsSchema.push(...vsSchema.onlySecond.map((f) => label(f, i)));
    }
    if (payload.defect && result.defectReportedBy) {
      result.defectReportedBy = {
        passerelle: reports(ours, payload.defect), medplum: reports(medplum.findings, payload.defect),
        schema: result.defectReportedBy.schema === null ? null : reports(schema, payload.defect),
      };
    }
  });
  return result;
}

/** The resource an invariant was evaluated on ("Bundle.entry[0].resource" → the Claim), to ask medplum why it failed. */
function resourceAt(bundle: Bundle, path: string): unknown {
  const entry = /^Bundle\.entry\[(\d+)\]\.resource$/.exec(path);
  return entry ? bundle.entry?.[Number(entry[1])]?.resource : path === 'Bundle' ? bundle : undefined;
}
