/**
 * `passerelle validate` on real files in a temporary folder: claim bundles (valid, invalid, meeting
 * the base pack but not the demo IPM's), an .ndjson export with one bad line, a file that is not JSON,
 * a folder to walk. Checks the report (rule ids, FHIRPath, line numbers), the packs of an insurer (seed
 * file and registry database), the exit codes, and the built CLI run as a child process.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, Claim, Coverage, OperationOutcomeIssue, Patient } from '@medplum/fhirtypes';
import { createTestDatabase } from '../../test/harness.js';
import { ParticipantRegistry } from '../participants/registry.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { Conformance } from './conformance.js';
import { BASE_PACK, PackCatalogue } from './packs.js';
import {
  EXIT, TEXTS, UsageError, collectFiles, insurerSchedule, resolvePacks, ruleIdOf, runValidate, validatePaths,
  type Terminal, type ValidateOptions, type ValidationRun,
} from './validate-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LIMITS = { maxDepth: 64, maxArrayLength: 10_000 };

let conformance: Conformance;
let dir: string;
let base: string;

/** The fixture of a covered member's claim, dated, with its resources at hand to spoil. */
function claimBundle(): { bundle: Bundle; claim: Claim; patient: Patient; coverage: Coverage } {
  const bundle = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/claim-bundle-covered-member.json'), 'utf8').replaceAll('TODAY', '2025-06-15')) as Bundle;
  const [claim, patient, coverage] = bundle.entry!.map((e) => e.resource) as [Claim, Patient, Coverage];
  return { bundle, claim, patient, coverage };
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** [rule id, FHIRPath, severity] of each issue, sorted. */
function found(issues: readonly OperationOutcomeIssue[]): string[][] {
  return issues.map((i) => [ruleIdOf(i), i.expression?.[0] ?? '', i.severity]).sort((a, b) => a.join().localeCompare(b.join()));
}

function run(overrides: Partial<ValidationRun> = {}): ValidationRun {
  return { language: 'en', packs: resolvePacks(conformance, []), jsonLimits: LIMITS, ...overrides };
}

beforeAll(async () => {
  conformance = await Conformance.load();
  const basePack = conformance.catalogue.latest(BASE_PACK);
  if (!basePack) {
    throw new Error(`The base pack ${BASE_PACK} is not built (profiles/${BASE_PACK}/<version>/fsh-generated/resources; `
      + `${conformance.catalogue.versions.length} pack versions found): these tests check what the gateway checks and need it`);
  }
  base = `${BASE_PACK}@${basePack.version}`;
  dir = mkdtempSync(join(tmpdir(), 'passerelle-validate-'));

  file('valid.json', claimBundle().bundle);
  const invalid = claimBundle();
  invalid.claim.status = 'bogus' as Claim['status'];
  Object.assign(invalid.claim, { charge: 1 });
  invalid.patient.birthDate = '1985-13-45';
  file('invalid.json', invalid.bundle);
  // Meets the base pack; the demo IPM pays in XOF only and wants member numbers like M0042.
  const euros = claimBundle();
  for (const amount of [euros.claim.total, ...(euros.claim.item ?? []).flatMap((i) => [i.unitPrice, i.net])]) amount!.currency = 'EUR';
  file('euros.json', euros.bundle);
  const shortMember = claimBundle();
  shortMember.patient.identifier![0]!.value = 'M12';
  shortMember.coverage.identifier![0]!.value = 'M12';
  file('short-member.json', shortMember.bundle);
  const { patient, coverage } = claimBundle();
  file('export.ndjson', [JSON.stringify(patient), '', JSON.stringify({ ...coverage, status: 'lapsed' }), JSON.stringify(coverage), ''].join('\n'));
  file('not-json.json', 'Claim: CLM-0001, 15000 XOF\n');

  file('folder/claims/a.json', claimBundle().bundle);
  file('folder/claims/2025/b.json', invalid.bundle);
  file('folder/claims/2025/export.ndjson', JSON.stringify(patient));
  file('folder/node_modules/pkg/package.json', '{ "name": "pkg" }');
  file('folder/.cache/c.json', 'not json');
  file('folder/notes.txt', 'not json');
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('validatePaths: the report of a list of paths', () => {
  it('a valid claim bundle has no issue', async () => {
    const report = await validatePaths(conformance, [join(dir, 'valid.json')], run());
    expect(report).toEqual({
      files: [{ file: join(dir, 'valid.json'), valid: true, issues: [] }],
      packs: [base],
      summary: { files: 1, resources: 1, errors: 0, warnings: 0 },
    });
  });

  it('reports every issue of an invalid bundle with its rule id and FHIRPath: bad code, unknown element, bad date', async () => {
    const report = await validatePaths(conformance, [join(dir, 'invalid.json')], run());
    expect(report.files[0]!.valid).toBe(false);
    expect(found(report.files[0]!.issues)).toEqual([
      ['fhir-binding-required', 'Bundle.entry[0].resource.status', 'error'],
      ['fhir-format', 'Bundle.entry[1].resource.birthDate', 'error'],
      ['fhir-unknown-element', 'Bundle.entry[0].resource.charge', 'error'],
    ]);
    expect(report.files[0]!.issues.every((i) => i.details?.text)).toBe(true);
    expect(report.summary).toEqual({ files: 1, resources: 1, errors: 3, warnings: 0 });
  });

  it('gives the messages in French', async () => {
    const report = await validatePaths(conformance, [join(dir, 'invalid.json')], run({ language: 'fr' }));
    const status = report.files[0]!.issues.find((i) => i.expression?.[0] === 'Bundle.entry[0].resource.status');
    expect(status?.details?.text).toBe('"bogus" n\'appartient pas au jeu de valeurs http://hl7.org/fhir/ValueSet/fm-status (liaison obligatoire)');
  });

  it('checks each line of an .ndjson file on its own and reports its line number', async () => {
    const report = await validatePaths(conformance, [join(dir, 'export.ndjson')], run());
    expect(report.files.map((f) => [f.line, f.valid])).toEqual([[1, true], [3, false], [4, true]]);
    expect(found(report.files[1]!.issues)).toEqual([['fhir-binding-required', 'Coverage.status', 'error']]);
    expect(report.summary).toEqual({ files: 1, resources: 3, errors: 1, warnings: 0 });
  });

  it('reports a file that is not JSON as an error of that file (the gateway\'s json-malformed), not a crash', async () => {
    const report = await validatePaths(conformance, [join(dir, 'not-json.json'), join(dir, 'valid.json')], run());
    expect(report.files.map((f) => f.valid)).toEqual([false, true]);
    expect(report.files[0]!.issues).toHaveLength(1);
    expect(ruleIdOf(report.files[0]!.issues[0]!)).toBe('json-malformed');
    expect(report.files[0]!.issues[0]!.details?.text).toMatch(/^Not valid JSON \(.+\)$/);
    const french = await validatePaths(conformance, [join(dir, 'not-json.json')], run({ language: 'fr' }));
    expect(french.files[0]!.issues[0]!.details?.text).toMatch(/^Ce n'est pas du JSON valide/);
  });

  it('walks folders for .json and .ndjson files in sorted order, not into node_modules or dot-folders, each file once', async () => {
    const folder = join(dir, 'folder');
    const { files, walkedFolder } = await collectFiles([folder, join(folder, 'claims/a.json')]);
    expect(walkedFolder).toBe(true);
    expect(files).toEqual([join(folder, 'claims/2025/b.json'), join(folder, 'claims/2025/export.ndjson'), join(folder, 'claims/a.json')]);
    const report = await validatePaths(conformance, [folder], run());
    expect(report.files.map((f) => [f.file.slice(folder.length + 1), f.line, f.valid])).toEqual([
      ['claims/2025/b.json', undefined, false], ['claims/2025/export.ndjson', 1, true], ['claims/a.json', undefined, true],
    ]);
    expect(report.summary).toEqual({ files: 3, resources: 3, errors: 3, warnings: 0 });
  });

  it('a path that does not exist, or a folder without .json files, is a usage error', async () => {
    await expect(collectFiles([join(dir, 'missing.json')])).rejects.toThrow(new UsageError(`No such file or folder: ${join(dir, 'missing.json')}`));
    mkdirSync(join(dir, 'empty'), { recursive: true });
    await expect(collectFiles([join(dir, 'empty')], TEXTS.fr)).rejects.toThrow('Aucun fichier .json ou .ndjson');
  });

  it('checks the root resource against the profiles asked for; an unknown profile is an error', async () => {
    const report = await validatePaths(conformance, [join(dir, 'valid.json')], run({ profiles: ['https://example.org/StructureDefinition/nowhere'] }));
    expect(found(report.files[0]!.issues)).toEqual([['fhir-profile-unknown', 'Bundle', 'error']]);
    const claimProfile = conformance.catalogue.profilesOf(conformance.catalogue.latest(BASE_PACK)!, 'Claim')[0]!;
    const asClaim = await validatePaths(conformance, [join(dir, 'valid.json')], run({ profiles: [claimProfile] }));
    expect(found(asClaim.files[0]!.issues)).toEqual([['fhir-profile-unknown', 'Bundle', 'error']]); // a Claim profile, not a Bundle one
  });
});

describe('the packs checked', () => {
  it('the base pack by default; --pack adds a pack version and its rules apply', async () => {
    expect(resolvePacks(conformance, []).map((p) => `${p.pack}@${p.version}`)).toEqual([base]);
    const withIpm = resolvePacks(conformance, ['demo-ipm@1.0.0']);
    expect(withIpm.map((p) => `${p.pack}@${p.version}`)).toEqual([base, 'demo-ipm@1.0.0']);
    const alone = await validatePaths(conformance, [join(dir, 'euros.json'), join(dir, 'short-member.json')], run());
    expect(alone.summary).toMatchObject({ errors: 0, warnings: 0 });
    const ipm = await validatePaths(conformance, [join(dir, 'euros.json'), join(dir, 'short-member.json')], run({ packs: withIpm }));
    expect(found(ipm.files[0]!.issues)).toEqual([['ipm-claim-currency', 'Bundle.entry[0].resource', 'error']]);
    expect(found(ipm.files[1]!.issues)).toEqual([['ipm-patient-member-format', 'Bundle.entry[1].resource', 'warning']]);
    expect(ipm.files.map((f) => f.valid)).toEqual([false, true]);
  });

  it('--pack replaces the scheduled version of the same pack', () => {
    const packs = resolvePacks(conformance, ['demo-ipm@2.0.0'], [{ pack: 'demo-ipm', version: '1.0.0' }]);
    expect(packs.map((p) => `${p.pack}@${p.version}`)).toEqual([base, 'demo-ipm@2.0.0']);
  });

  it('an unpublished or malformed pack is a usage error that lists the published versions', () => {
    expect(() => resolvePacks(conformance, ['demo-ipm@9.9.9'])).toThrow(UsageError);
    expect(() => resolvePacks(conformance, ['demo-ipm@9.9.9'])).toThrow(/^The pack demo-ipm@9\.9\.9 is not published by this gateway\. Published: .*demo-ipm@1\.0\.0/);
    expect(() => resolvePacks(conformance, ['demo-ipm:1.0.0'], [], TEXTS.fr)).toThrow('--pack prend pack@version');
  });

  it("--insurer: the insurer's schedule from the seed file when there is no registry database", async () => {
    const seedFile = file('seed.json', { participants: [
      { id: 'ipm-test', kind: 'insurer', name: 'IPM test', adapter: 'fhir', profilePacks: [{ pack: 'demo-ipm', version: '1.0.0', from: '2020-01-01' }] },
      { id: 'clinic-test', kind: 'provider', name: 'Clinique test' },
    ] });
    const config = { dataDir: dir, seedFile };
    expect(await insurerSchedule('ipm-test', config)).toEqual([{ pack: 'demo-ipm', version: '1.0.0', from: '2020-01-01' }]);
    await expect(insurerSchedule('nobody', config)).rejects.toThrow(`No insurer "nobody" in the seed file ${seedFile}`);
    await expect(insurerSchedule('clinic-test', config)).rejects.toThrow('"clinic-test" is a provider, not an insurer');
    expect(Array.isArray(await insurerSchedule('demo-insurer', { dataDir: dir }))).toBe(true); // the demo seed
  });

  it("--insurer: the insurer's schedule from the registry database when DATABASE_URL is set", async () => {
    const database = await createTestDatabase();
    const db = await openDatabase({ databaseUrl: database.url, dataDir: dir });
    try {
      await migrate(db);
      await new ParticipantRegistry(db).upsert({ id: 'ipm-db', kind: 'insurer', name: 'IPM base', adapter: 'fhir', profilePacks: [{ pack: 'demo-ipm', version: '2.0.0' }] });
      const config = { databaseUrl: database.url, dataDir: dir };
      expect(await insurerSchedule('ipm-db', config)).toEqual([{ pack: 'demo-ipm', version: '2.0.0' }]);
      await expect(insurerSchedule('demo-insurer', config)).rejects.toThrow('No insurer "demo-insurer" in the participant registry (DATABASE_URL)');
    } finally {
      await db.close();
      await database.drop();
    }
  });
});

describe('runValidate: the command without a process', () => {
  async function command(paths: string[], options: ValidateOptions = {}, env: NodeJS.ProcessEnv = {}, load = async () => conformance) {
    const out: string[] = [];
    const err: string[] = [];
    const terminal: Terminal = { env, out: (t) => out.push(t), err: (t) => err.push(t), colour: false };
    const code = await runValidate(paths, options, terminal, load);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('exit 0 when no file has an error, warnings allowed', async () => {
    expect(await command([join(dir, 'valid.json')])).toEqual({ code: EXIT.valid, out: `Packs: ${base}\n1 file, 0 errors, 0 warnings`, err: '' });
    const warned = await command([join(dir, 'short-member.json')], { pack: ['demo-ipm@1.0.0'] });
    expect(warned.code).toBe(EXIT.valid);
    expect(warned.out).toContain('  warning      ipm-patient-member-format  Bundle.entry[1].resource  ');
    expect(warned.out).toMatch(/1 file, 0 errors, 1 warning$/);
  });

  it('exit 1 when a file has an error; the human report lists each issue under its file', async () => {
    const { code, out } = await command([join(dir, 'invalid.json'), join(dir, 'export.ndjson'), join(dir, 'valid.json')]);
    expect(code).toBe(EXIT.invalid);
    expect(out.split('\n')).toEqual([
      join(dir, 'export.ndjson:3'),
      '  error        fhir-binding-required  Coverage.status  "lapsed" is not in the value set http://hl7.org/fhir/ValueSet/fm-status (required binding)',
      join(dir, 'invalid.json'),
      expect.stringMatching(/^ {2}error {8}fhir-binding-required {2}Bundle\.entry\[0\]\.resource\.status {2}"bogus" is not/),
      expect.stringMatching(/^ {2}error {8}fhir-unknown-element {2}Bundle\.entry\[0\]\.resource\.charge {2}Unknown element "charge"/),
      expect.stringMatching(/^ {2}error {8}fhir-format {2}Bundle\.entry\[1\]\.resource\.birthDate {2}Invalid date "1985-13-45"/),
      '',
      `Packs: ${base}`,
      '3 files (5 resources), 4 errors, 0 warnings',
    ]);
    expect((await command([join(dir, 'not-json.json')])).code).toBe(EXIT.invalid);
  });

  it('--json prints one JSON document with every file', async () => {
    const { code, out } = await command([join(dir, 'export.ndjson')], { json: true });
    expect(code).toBe(EXIT.invalid);
    const report = JSON.parse(out) as { files: Array<{ file: string; line?: number; valid: boolean; issues: OperationOutcomeIssue[] }>; summary: unknown };
    expect(report.files.map((f) => [f.line, f.valid, f.issues.length])).toEqual([[1, true, 0], [3, false, 1], [4, true, 0]]);
    expect(report.summary).toEqual({ files: 1, resources: 3, errors: 1, warnings: 0 });
  });

  it('French from --lang, else from LANG or LC_ALL, for the report and the usage errors', async () => {
    expect((await command([join(dir, 'valid.json')], { lang: 'fr' })).out).toBe(`Packs : ${base}\n1 fichier, 0 erreur, 0 avertissement`);
    expect((await command([join(dir, 'invalid.json')], {}, { LANG: 'fr_SN.UTF-8' })).out).toMatch(/ {2}erreur +fhir-format .*\n\nPacks : .*\n1 fichier, 3 erreurs, 0 avertissement$/);
    expect((await command([join(dir, 'valid.json')], {}, { LANG: 'fr_FR.UTF-8', LC_ALL: 'en_US.UTF-8' })).out).toMatch(/1 file,/);
    expect(await command([join(dir, 'missing.json')], {}, { LC_ALL: 'fr_FR.UTF-8' })).toMatchObject({ code: EXIT.usage, err: `Fichier ou dossier introuvable : ${join(dir, 'missing.json')}` });
  });

  it('exit 2 when the command cannot run as asked: no path, path not found, unknown pack or insurer, bad --lang', async () => {
    expect(await command([])).toMatchObject({ code: EXIT.usage, out: '', err: 'Name at least one file or folder to validate' });
    expect(await command([join(dir, 'missing.json')])).toMatchObject({ code: EXIT.usage, out: '' });
    expect(await command([join(dir, 'valid.json')], { pack: ['demo-ipm@9.9.9'] })).toMatchObject({ code: EXIT.usage, err: expect.stringContaining('Published: ') });
    expect(await command([join(dir, 'valid.json')], { insurer: 'nobody' })).toMatchObject({ code: EXIT.usage, err: expect.stringContaining('No insurer "nobody"') });
    expect(await command([join(dir, 'valid.json')], { lang: 'de' }, { LANG: 'fr_FR' })).toMatchObject({ code: EXIT.usage, err: '--lang prend en ou fr, pas « de »' });
    expect(await command([join(dir, 'valid.json')], {}, { JSON_MAX_DEPTH: 'deep' })).toMatchObject({ code: EXIT.usage, err: expect.stringContaining('JSON_MAX_DEPTH') });
  });

  it('exit 3 when the validator cannot run as the gateway does (no base pack): never a pass', async () => {
    const bare = async () => Conformance.load(await PackCatalogue.load(join(dir, 'no-profiles')));
    const { code, out, err } = await command([join(dir, 'valid.json')], {}, {}, bare);
    expect(code).toBe(EXIT.internal);
    expect(out).toBe('');
    expect(err).toMatch(/^Internal error of the validator \(exit 3: a fault of the validator, not of your files; please report it\):\nError: The base pack passerelle-base is not installed/);
  });

  it("--insurer checks against the insurer's packs in force, and names scheduled versions that are not published", async () => {
    const seedFile = file('seed-run.json', { participants: [
      { id: 'ipm-run', kind: 'insurer', name: 'IPM run', adapter: 'fhir', profilePacks: [{ pack: 'demo-ipm', version: '1.0.0' }, { pack: 'openimis', version: '7.0.0' }] },
    ] });
    const { code, out, err } = await command([join(dir, 'euros.json')], { insurer: 'ipm-run' }, { SEED_FILE: seedFile });
    expect(code).toBe(EXIT.invalid);
    expect(out).toContain('ipm-claim-currency');
    expect(out).toContain(`Packs: ${base}, demo-ipm@1.0.0`);
    expect(err).toBe('warning: ipm-run names the pack openimis@7.0.0, which this gateway does not publish; it is not checked');
  });
});

describe('the built CLI, as a child process', () => {
  let build: string;
  let buildMs: number;

  // Compiled into a private folder (not the shared dist/, which others may be running), without type
  // checking (npm run lint's job): the same JavaScript `npm run build` emits, with the assets it copies.
  beforeAll(() => {
    const started = Date.now();
    build = mkdtempSync(join(tmpdir(), 'passerelle-validate-build-'));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', build], { encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    for (const assets of ['profiles', 'gateway/demo/seed']) cpSync(join(ROOT, assets), join(build, assets), { recursive: true });
    writeFileSync(join(build, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
    buildMs = Date.now() - started;
  }, 120_000);

  afterAll(() => {
    if (build) rmSync(build, { recursive: true, force: true });
  });

  function cli(...args: string[]) {
    const env = { ...process.env, NODE_OPTIONS: '', LANG: 'en_US.UTF-8', LC_ALL: '', LC_MESSAGES: '', DATABASE_URL: '', SEED_FILE: '' };
    return spawnSync(process.execPath, [join(build, 'gateway/cli.js'), 'validate', ...args], { encoding: 'utf8', env, timeout: 60_000 });
  }

  it('builds in well under a minute', () => {
    expect(buildMs).toBeLessThan(60_000);
  });

  it('exits 0 for a valid file, 1 for an invalid one, 2 for usage errors', () => {
    const valid = cli(join(dir, 'valid.json'));
    expect([valid.status, valid.stdout, valid.stderr]).toEqual([0, `Packs: ${base}\n1 file, 0 errors, 0 warnings\n`, '']);

    const invalid = cli(join(dir, 'folder'), '--json');
    expect(invalid.status).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ summary: { files: 3, resources: 3, errors: 3, warnings: 0 } });

    const unknownOption = cli('--bogus', join(dir, 'valid.json'));
    expect(unknownOption.status).toBe(2);
    expect(unknownOption.stderr).toMatch(/^error: unknown option '--bogus'/);
    expect(cli().status).toBe(2);
    expect(cli(join(dir, 'missing.json')).stderr).toBe(`No such file or folder: ${join(dir, 'missing.json')}\n`);
    expect(cli(join(dir, 'valid.json'), '--pack', 'nope@1.0.0').status).toBe(2);
  });

  it('states the exit codes in its help', () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('3  internal error of the validator');
  });
});
