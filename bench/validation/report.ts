/** The validation benchmark's report sections: payloads, agreement findings, method. */
import type { Bundle } from '@medplum/fhirtypes';
import { MIN_SAMPLES_FOR_P99, type RoundOptions, type TimingOutcome } from '../harness/measure.js';
import type { ReportSection } from '../harness/types.js';
import type { Finding } from './agreement.js';
import type { MedplumProfiles } from './medplum.js';
import type { Payload } from './payloads.js';

/** What the validators found on one payload (every bundle of it), and where they disagree. */
export interface PayloadAgreement {
  readonly payload: string;
  readonly meantToBeValid: boolean;
  /** Validators that threw instead of returning issues. */
  readonly crashes: string[];
  passerelleErrors: number;
  medplumErrors: number;
  /** null when the ajv baseline could not run. */
  schemaErrors: number | null;
  /** For an invalid variant: which validators reported its defect. */
  defectReportedBy?: { readonly passerelle: boolean; readonly medplum: boolean; readonly schema: boolean | null };
  /** Errors medplum finds and Passerelle misses. */
  readonly onlyMedplum: Finding[];
  readonly onlyPasserelleVsMedplum: Finding[];
  /** Invariants medplum reported as failed because its FHIRPath could not evaluate them. */
  readonly medplumUnevaluated: Array<Finding & { readonly expression: string; readonly reason: string }>;
  readonly onlySchema: Finding[];
  readonly onlyPasserelleVsSchema: Finding[];
}

export function payloadSection(payloads: readonly Payload[], agreements: readonly PayloadAgreement[], timings: Map<string, Map<string, TimingOutcome>>): ReportSection {
  const size = (b: Bundle) => Buffer.byteLength(JSON.stringify(b));
  const yesNo = (v: boolean | null | undefined) => (v === null || v === undefined ? 'n/a' : v ? 'yes' : '**no**');
  const lines = [
    'Errors are counted over every bundle of a payload. "Defect reported" says whether each validator reported the one defect of an invalid variant (same rule family and location).',
    '',
    '| Payload | Bundles × entries | KB per bundle | Content | Errors: Passerelle / medplum / ajv | Defect reported: Passerelle / medplum / ajv | Samples per validator |',
    '| --- | --- | ---: | --- | --- | --- | --- |',
  ];
  for (const payload of payloads) {
    const a = agreements.find((x) => x.payload === payload.name);
    const entries = [...new Set(payload.bundles.map((b) => b.entry?.length ?? 0))].join('–');
    const kb = payload.bundles.reduce((sum, b) => sum + size(b), 0) / payload.bundles.length / 1024;
    const errors = a ? `${a.passerelleErrors} / ${a.medplumErrors}${a.medplumUnevaluated.length ? ` (+${a.medplumUnevaluated.length} unevaluable)` : ''} / ${a.schemaErrors ?? 'n/a'}` : 'n/a';
    const reported = a?.defectReportedBy ? `${yesNo(a.defectReportedBy.passerelle)} / ${yesNo(a.defectReportedBy.medplum)} / ${yesNo(a.defectReportedBy.schema)}` : '(valid)';
    const samples = [...(timings.get(payload.name) ?? new Map<string, TimingOutcome>())].map(([name, t]) => `${name} ${'timing' in t ? t.timing.samples : 'threw'}`).join(', ');
    lines.push(`| ${payload.name} | ${payload.bundles.length} × ${entries} | ${kb.toFixed(1)} | ${payload.description} | ${errors} | ${reported} | ${samples} |`);
  }
  return { title: 'Payloads', lines };
}

/** How much of Passerelle's time the pack takes: its p50 with the pack against R4 alone. */
export function packCostSection(payloads: readonly Payload[], timings: Map<string, Map<string, TimingOutcome>>, withPack: string, r4Only: string): ReportSection {
  const p50 = (payload: string, name: string) => {
    const outcome = timings.get(payload)?.get(name);
    return outcome && 'timing' in outcome ? outcome.timing.p50Ms : null;
  };
  const lines = [
    `Passerelle's p50 with the passerelle-base pack against the same call with \`packs: []\`: what the pack's profiles and FHIRPath invariants cost on top of R4 conformance.`,
    '',
    '| Payload | R4 only (ms) | with the pack (ms) | share of the time spent on the pack |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const payload of payloads) {
    const r4 = p50(payload.name, r4Only);
    const all = p50(payload.name, withPack);
    const share = r4 !== null && all !== null && all > 0 ? `${Math.max(0, Math.round((100 * (all - r4)) / all))} %` : 'n/a';
    lines.push(`| ${payload.name} | ${r4 === null ? 'n/a' : r4.toPrecision(3)} | ${all === null ? 'n/a' : all.toPrecision(3)} | ${share} |`);
  }
  return { title: 'Where Passerelle\'s time goes', lines };
}

export function agreementSections(agreements: readonly PayloadAgreement[], profiles: MedplumProfiles): ReportSection[] {
  const medplum = profiles.skipped ? 'medplum (R4 only: the profile comparison was skipped)' : 'medplum (with the pack profiles)';
  const missed = agreements.flatMap((a) => a.onlyMedplum.map((f) => ({ payload: a.payload, f })));
  const falsePositives = agreements.filter((a) => a.meantToBeValid).flatMap((a) => a.onlyPasserelleVsMedplum.map((f) => ({ payload: a.payload, f })));
  const crashes = agreements.flatMap((a) => a.crashes.map((c) => `${a.payload}: ${c}`));
  const lines: string[] = [
    `Errors only (warnings do not reject a claim), matched by rule family and location against ${medplum}.`,
    '',
    `**Found by medplum, missed by Passerelle: ${missed.length}.** Each is a Passerelle bug or a rule Passerelle lacks.`,
    ...missed.map(({ payload, f }) => `- ${payload}: ${describe(f)}`),
    '',
    `**Errors Passerelle reports on payloads meant to be valid, that medplum does not: ${falsePositives.length}.** False positives unless the payload is wrong.`,
    ...falsePositives.map(({ payload, f }) => `- ${payload}: ${describe(f)}`),
    '',
  ];
  if (crashes.length > 0) lines.push(`**Validators that threw: ${crashes.length}.**`, ...crashes.map((c) => `- ${c}`), '');
  lines.push('Per payload:', '');
  for (const a of agreements) {
    lines.push(`- **${a.payload}**: Passerelle ${a.passerelleErrors} errors, medplum ${a.medplumErrors}${a.medplumUnevaluated.length ? ` (and ${a.medplumUnevaluated.length} invariants it could not evaluate)` : ''}.`);
    lines.push(...list('found by medplum, missed by Passerelle', a.onlyMedplum));
    lines.push(...list(`found by Passerelle, missed by medplum${a.meantToBeValid ? ' (payload meant to be valid)' : ''}`, a.onlyPasserelleVsMedplum));
  }
  const sections: ReportSection[] = [{ title: 'Agreement with medplum', lines }];

  const unevaluable = new Map<string, { family: string; reason: string; path: string; payloads: Set<string> }>();
  for (const a of agreements) {
    for (const f of a.medplumUnevaluated) {
      const key = `${f.family}\u0000${f.reason}`;
      const seen = unevaluable.get(key) ?? { family: f.family, reason: f.reason, path: f.path.replace(/^bundle \d+: /, ''), payloads: new Set<string>() };
      seen.payloads.add(a.payload);
      unevaluable.set(key, seen);
    }
  }
  if (unevaluable.size > 0) {
    sections.push({
      title: 'Invariants medplum could not evaluate',
      lines: [
        'medplum reports these as failed ("Constraint … not met", after "Error evaluating invariant expression") on valid claims too, so they are not counted as its findings. It also stops checking an element\'s other invariants after the first one fails, so later pack rules on that element go unchecked by it.',
        '',
        ...[...unevaluable.values()].map((u) => `- ${u.family} at ${u.path}: ${u.reason} (${u.payloads.size} of ${agreements.length} payloads)`),
      ],
    });
  }

  const schemaMissed = agreements.flatMap((a) => a.onlySchema.map((f) => ({ payload: a.payload, f })));
  const schemaLines = [
    'The JSON schema is structural only (no profiles, bindings or invariants), so Passerelle finding more is expected; what ajv finds that Passerelle misses is not.',
    '',
    `**Found by ajv, missed by Passerelle: ${schemaMissed.length}.**`,
    ...schemaMissed.map(({ payload, f }) => `- ${payload}: ${describe(f)}`),
    '',
  ];
  for (const a of agreements) {
    if (a.schemaErrors === null) continue;
    schemaLines.push(`- ${a.payload}: ajv ${a.schemaErrors} errors, Passerelle ${a.passerelleErrors}; found by Passerelle only: ${countBy(a.onlyPasserelleVsSchema.map((f) => f.family)) || 'none'}.`);
  }
  sections.push({ title: 'Agreement with ajv (JSON schema)', lines: schemaLines });
  return sections;
}

export function methodSection(profiles: MedplumProfiles, valid: RoundOptions, invalid: RoundOptions, firstWarmup: RoundOptions['warmup']): ReportSection {
  return {
    title: 'Method',
    lines: [
      `- Every validator validates the same bundle objects in the same process. Each first warms up alone, unmeasured: on the first payload at least ${firstWarmup.minCalls} calls and ${firstWarmup.minMs} ms (at most ${firstWarmup.maxMs} ms), on later ones at least ${valid.warmup.minCalls} calls and ${valid.warmup.minMs} ms (at most ${valid.warmup.maxMs} ms). Timing then runs in interleaved rounds: in each round every validator gets a ${valid.sliceMs} ms slice (at least ${valid.minCallsPerSlice} calls on valid payloads, ${invalid.minCallsPerSlice} on invalid variants), in an order that rotates from round to round; each call is timed on its own (performance.now()). One full garbage collection runs before each payload's warm-up, none between rounds (the first call after a forced full collection is several times slower). ${valid.rounds} rounds per valid payload, ${invalid.rounds} per invalid variant. Mean, p50 and p99 (nearest rank) are per bundle; a payload of several bundles is cycled through.`,
      `- A slow validator gets fewer samples (see the Payloads table). Below ${MIN_SAMPLES_FOR_P99} samples a p99 would be little more than the slowest call, so it is reported as n/a.`,
      profiles.skipped
        ? `- **The profile comparison was skipped**: ${profiles.skipped}. medplum validated against R4 alone.`
        : `- medplum was given the StructureDefinitions (with snapshots) of ${profiles.pack?.pack ?? 'passerelle-base'} ${profiles.pack?.version ?? ''} from profiles/<pack>/<version>/fsh-generated/resources, for ${[...profiles.byType.keys()].join(', ')}; other types against R4.`,
      '- @medplum/core 4.5.2 parses the profile it is given on every call (its API takes a StructureDefinition, not a compiled profile), checks no terminology bindings, and throws on errors: its issues are taken from the OperationOutcomeError.',
      '- Agreement compares errors by family of rule (unknown element, cardinality, value, empty value, code, array shape, invariant key…) and location, medplum\'s `Claim.item[0]…` paths rebased to `Bundle.entry[i].resource.item[0]…`; locations without list indices match as a fallback (medplum gives some cardinality errors without them).',
    ],
  };
}

function describe(f: Finding): string {
  return `\`${f.path}\` (${f.family}): ${f.message.length > 240 ? `${f.message.slice(0, 240)}…` : f.message}`;
}

function list(title: string, findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [`  - ${title}: none.`];
  return [`  - ${title}: ${findings.length}`, ...findings.map((f) => `    - ${describe(f)}`)];
}

function countBy(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} ×${n}`).join(', ');
}
