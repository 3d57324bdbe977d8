/**
 * The conformance corpus (test/conformance/cases/<rule-id>.json): for every rule id the validation
 * engine can report (its structural rules, the core invariants it evaluates, the invariants of every
 * published pack), resources that pass and resources that fail with the expected FHIRPath expression.
 * A pass case gives no issue of its rule and no error at all; a fail case gives an issue of its rule at
 * exactly its expression, in English and in French (a French text of its own). Cases the engine gets
 * wrong today are kept out of the corpus, in test/conformance/engine-bugs.json (not run here), each
 * with a note saying what is expected and what happens.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { Conformance } from '../gateway/validation/conformance.js';
import { coreDefinitions, liteStructureDefinition } from '../gateway/validation/engine/definitions.js';
import { ValidationEngine, type ValidateOptions } from '../gateway/validation/engine/engine.js';
import type { PackVersion } from '../gateway/validation/packs.js';
import { CORE_INVARIANTS, CORE_INVARIANTS_BY_ELEMENT, STRUCTURAL_RULES, VALIDATION_RULE_SYSTEM, type Language } from '../gateway/validation/rules.js';

type Json = Record<string, unknown>;

interface CorpusCase {
  readonly name: string;
  readonly expect: 'pass' | 'fail';
  /** FHIRPath of the faulty element (fail cases). */
  readonly expression?: string;
  /** Overrides the file's packs / profiles for this case. */
  readonly packs?: readonly string[] | 'core';
  readonly profiles?: readonly string[];
  readonly resource: unknown;
  /** engine-bugs.json only: what is expected and what happens. */
  readonly note?: string;
}

interface CorpusFile {
  readonly rule: string;
  /** "pack@version" of the pack versions in force; absent, [] or "core": none (the R4 core only). */
  readonly packs?: readonly string[] | 'core';
  /** Profiles the root resource must meet (canonical or canonical|version). */
  readonly profiles?: readonly string[];
  /** Test-only StructureDefinitions (snapshots), added to the published ones for this file. */
  readonly testProfiles?: readonly Json[];
  readonly cases: readonly CorpusCase[];
}

const DIR = fileURLToPath(new URL('./conformance/', import.meta.url));
const CASES_DIR = join(DIR, 'cases');

const corpus: Array<{ file: string; spec: CorpusFile }> = readdirSync(CASES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, spec: JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as CorpusFile }));
const engineBugs = JSON.parse(readFileSync(join(DIR, 'engine-bugs.json'), 'utf8')) as Array<CorpusFile & { bug: string }>;

const rows = corpus.flatMap(({ spec }) => spec.cases.map((c) => ({ title: `${spec.rule} › ${c.name}`, spec, c })));

let conformance: Conformance;
/** Engines with a file's test-only profiles, by rule. */
const testEngines = new Map<string, ValidationEngine>();

beforeAll(async () => {
  conformance = await Conformance.load();
  const sources = conformance.catalogue.engineSources();
  const core = await coreDefinitions();
  for (const { spec } of corpus.filter(({ spec }) => spec.testProfiles)) {
    const extra = spec.testProfiles!.map((sd) => liteStructureDefinition(sd));
    if (extra.some((sd) => sd === undefined)) throw new Error(`${spec.rule}: a test profile has no snapshot`);
    testEngines.set(spec.rule, new ValidationEngine(core, { ...sources, structures: [...sources.structures, ...extra.filter((sd) => sd !== undefined)] }));
  }
}, 180_000);

function packsOf(names: readonly string[] | 'core' | undefined): PackVersion[] {
  if (names === undefined || names === 'core') return [];
  return names.filter((n) => n !== 'core').map((name) => {
    const [pack, version] = name.split('@');
    const found = pack && version ? conformance.catalogue.get(pack, version) : undefined;
    if (!found) throw new Error(`Unknown pack version "${name}" (expected pack@version of a published pack)`);
    return found;
  });
}

function validate(spec: CorpusFile, c: CorpusCase, language: Language): OperationOutcomeIssue[] {
  const packs = packsOf(c.packs ?? spec.packs);
  const profiles = c.profiles ?? spec.profiles;
  const engine = testEngines.get(spec.rule);
  if (!engine) return conformance.validate(c.resource, { language, packs, profiles });
  const profilesFor: ValidateOptions['profilesFor'] = (type) => packs.flatMap((p) => conformance.catalogue.profilesOf(p, type));
  return engine.validate(c.resource, { language, profiles, profilesFor });
}

function ruleOf(issue: OperationOutcomeIssue): string | undefined {
  const coding = issue.details?.coding?.[1];
  return coding?.system === VALIDATION_RULE_SYSTEM ? coding.code : undefined;
}

const summary = (i: OperationOutcomeIssue) => `${i.severity} ${ruleOf(i) ?? '(no rule)'} at ${i.expression?.[0] ?? '(no expression)'}: ${i.details?.text ?? ''}`;

/** The published French texts of an invariant (core or pack), if it is one. */
function frenchTextsOf(rule: string): string[] {
  if (Object.hasOwn(CORE_INVARIANTS, rule)) return [CORE_INVARIANTS[rule]!, ...Object.values(CORE_INVARIANTS_BY_ELEMENT[rule] ?? {})];
  return conformance.catalogue.versions.map((v) => v.frenchMessages.get(rule)).filter((t): t is string => t !== undefined);
}

describe('conformance corpus', () => {
  test.each(rows)('$title', ({ spec, c }) => {
    const issues = validate(spec, c, 'en');
    if (c.expect === 'pass') {
      const offending = issues.filter((i) => ruleOf(i) === spec.rule || i.severity === 'error' || i.severity === 'fatal');
      expect(offending.map(summary)).toEqual([]);
      return;
    }
    const at = (list: OperationOutcomeIssue[]) => list.filter((i) => ruleOf(i) === spec.rule && i.expression?.[0] === c.expression);
    const english = at(issues);
    if (english.length === 0) {
      throw new Error(`Expected ${spec.rule} at ${c.expression}; the engine reported:\n  ${issues.map(summary).join('\n  ') || '(no issue)'}`);
    }
    const french = at(validate(spec, c, 'fr'));
    expect(french).toHaveLength(english.length);
    french.forEach((fr, n) => {
      const frText = fr.details?.text ?? '';
      const enText = english[n]!.details?.text ?? '';
      expect(frText.trim()).not.toBe('');
      expect(frText).not.toBe(enText);
      const published = frenchTextsOf(spec.rule);
      if (published.length > 0) expect(published).toContain(frText);
    });
  });
});

describe('French texts of core invariants', () => {
  it('gives each R4 element its own text when R4 reuses a key for different rules', async () => {
    const core = await coreDefinitions();
    const problems: string[] = [];
    for (const key of Object.keys(CORE_INVARIANTS)) {
      const byHuman = new Map<string, string[]>();
      for (const sd of core.structures.values()) {
        for (const el of sd.elements) for (const c of el.constraints) if (c.key === key) byHuman.set(c.human, [...(byHuman.get(c.human) ?? []), el.path]);
      }
      if (byHuman.size < 2) continue;
      // One rule may keep CORE_INVARIANTS' text; every other one needs texts of its own.
      const without = [...byHuman.values()].filter((paths) => paths.some((p) => !CORE_INVARIANTS_BY_ELEMENT[key]?.[p]));
      if (without.length > 1) problems.push(`${key}: ${without.map((paths) => paths.join(', ')).join(' / ')} share one French text`);
    }
    expect(problems).toEqual([]);
  });

  it('says in French the rule that failed, not another rule of the same key (inv-1 on Task)', () => {
    const task = { resourceType: 'Task', status: 'requested', intent: 'order', authoredOn: '2026-03-02', lastModified: '2026-03-01' };
    const issues = conformance.validate(task, { language: 'fr' }).filter((i) => ruleOf(i) === 'inv-1');
    expect(issues.map((i) => i.details?.text)).toEqual([CORE_INVARIANTS_BY_ELEMENT['inv-1']!.Task]);
  });
});

describe('conformance corpus coverage', () => {
  const knownRules = () => {
    const rules = new Set([...Object.keys(STRUCTURAL_RULES), ...Object.keys(CORE_INVARIANTS)]);
    for (const version of conformance.catalogue.versions) for (const key of version.frenchMessages.keys()) rules.add(key);
    return rules;
  };

  it('has one case file per rule id (structural rules, core invariants, pack invariants) and none for an unknown rule', () => {
    const rules = knownRules();
    expect(corpus.filter(({ spec }) => !rules.has(spec.rule)).map(({ file, spec }) => `${file}: unknown rule "${spec.rule}"`)).toEqual([]);
    expect(corpus.filter(({ file, spec }) => file !== `${spec.rule}.json`).map(({ file, spec }) => `${file} holds rule ${spec.rule}`)).toEqual([]);
    expect(corpus.map(({ spec }) => spec.rule).sort()).toEqual([...rules].sort());
  });

  it('has at least one pass and one fail case per rule, unless engine-bugs.json shows why the engine cannot have one yet', () => {
    const missing: string[] = [];
    for (const { spec } of corpus) {
      for (const kind of ['pass', 'fail'] as const) {
        if (spec.cases.some((c) => c.expect === kind)) continue;
        const documented = engineBugs.some((b) => b.rule === spec.rule && b.cases.some((c) => c.expect === kind));
        if (!documented) missing.push(`${spec.rule}: no ${kind} case`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has well-formed cases: a name, pass or fail, an expression for each fail, a resource, known packs', () => {
    const problems: string[] = [];
    const check = (spec: CorpusFile, where: string, bugFile: boolean) => {
      if (!Array.isArray(spec.cases) || spec.cases.length === 0) problems.push(`${where}: no cases`);
      const names = new Set<string>();
      for (const c of spec.cases ?? []) {
        const label = `${where} › ${c.name}`;
        if (typeof c.name !== 'string' || c.name.trim() === '') problems.push(`${where}: a case without a name`);
        if (names.has(c.name)) problems.push(`${label}: duplicate name`);
        names.add(c.name);
        if (c.expect !== 'pass' && c.expect !== 'fail') problems.push(`${label}: expect must be pass or fail`);
        if (c.expect === 'fail' && (typeof c.expression !== 'string' || c.expression === '')) problems.push(`${label}: a fail case needs an expression`);
        if (c.expect === 'pass' && c.expression !== undefined) problems.push(`${label}: a pass case has no expression`);
        if (c.resource === undefined) problems.push(`${label}: no resource`);
        if (bugFile && (typeof c.note !== 'string' || c.note === '')) problems.push(`${label}: an engine bug case needs a note`);
        try {
          packsOf(c.packs ?? spec.packs);
        } catch (err) {
          problems.push(`${label}: ${(err as Error).message}`);
        }
      }
    };
    for (const { file, spec } of corpus) check(spec, file, false);
    const rules = knownRules();
    for (const bug of engineBugs) {
      if (!rules.has(bug.rule)) problems.push(`engine-bugs.json: unknown rule "${bug.rule}"`);
      check(bug, `engine-bugs.json ${bug.bug} ${bug.rule}`, true);
    }
    expect(problems).toEqual([]);
  });
});
