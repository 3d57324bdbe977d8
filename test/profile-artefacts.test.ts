/**
 * The profile packs (profiles/<pack>/<version>/): the committed SUSHI artefacts are exactly what the FSH
 * sources build (the drift check of `npm run profiles:check`), and the artefacts are complete: snapshots,
 * pack version and canonical, and every invariant key with a French message (docs/profiles.md).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROFILES = path.join(ROOT, 'profiles');
const CANONICAL_BASE = 'https://fhir.passerelle.sn/packs/';

/** The key prefix of each pack's invariants (a new pack adds its own; no two packs share one). */
const KEY_PREFIX: Readonly<Record<string, string>> = { 'passerelle-base': 'pas-', openimis: 'oi-', 'demo-ipm': 'ipm-' };

/**
 * Conformance resources that keep a canonical url outside their pack's canonical: the demo tariff and the
 * rejection reasons have fixed urls, and the openIMIS pack restates openIMIS definitions under openIMIS's urls.
 */
const FOREIGN_CANONICALS: Readonly<Record<string, readonly string[]>> = {
  'passerelle-base': ['urn:passerelle:demo:tariff', 'https://fhir.passerelle.sn/CodeSystem/rejection-reason'],
  openimis: [
    'https://openimis.github.io/openimis_fhir_r4_ig/StructureDefinition/claim-item-reference',
    'https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers',
    'https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/claim-visit-type',
  ],
};

interface Constraint { key: string; severity?: string; human?: string; expression?: string; source?: string }
interface ElementDefinition { id: string; path: string; constraint?: Constraint[] }
interface ConformanceResource {
  resourceType: string;
  id: string;
  url: string;
  version?: string;
  name?: string;
  status?: string;
  publisher?: string;
  description?: string;
  fhirVersion?: string;
  snapshot?: { element: ElementDefinition[] };
  differential?: { element: ElementDefinition[] };
}
interface PackVersion {
  pack: string;
  version: string;
  dir: string;
  config: Record<string, string>;
  resources: ConformanceResource[];
  french: Record<string, unknown>;
}
interface Invariant extends Constraint { pack: string; version: string; profile: string; path: string }

/** The flat `key: value` lines of a sushi-config.yaml (all the packs use). */
function readConfig(file: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Za-z]+):\s*(.+?)\s*$/.exec(line);
    if (match) config[match[1]!] = match[2]!.replace(/^["']|["']$/g, '');
  }
  return config;
}

function loadPacks(): PackVersion[] {
  const packs: PackVersion[] = [];
  for (const pack of readdirSync(PROFILES, { withFileTypes: true })) {
    if (!pack.isDirectory() || pack.name === 'generated') continue;
    for (const version of readdirSync(path.join(PROFILES, pack.name), { withFileTypes: true })) {
      const dir = path.join(PROFILES, pack.name, version.name);
      if (!version.isDirectory() || !existsSync(path.join(dir, 'sushi-config.yaml'))) continue;
      const artefacts = path.join(dir, 'fsh-generated', 'resources');
      const resources = existsSync(artefacts)
        ? readdirSync(artefacts).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(path.join(artefacts, f), 'utf8')) as ConformanceResource)
        : [];
      const messages = path.join(dir, 'messages-fr.json');
      const french = existsSync(messages) ? (JSON.parse(readFileSync(messages, 'utf8')) as Record<string, unknown>) : {};
      packs.push({ pack: pack.name, version: version.name, dir, config: readConfig(path.join(dir, 'sushi-config.yaml')), resources, french });
    }
  }
  return packs;
}

/** The invariants a pack version defines (those whose source is one of its profiles). */
function invariantsOf(pack: PackVersion): Invariant[] {
  return pack.resources
    .filter((r) => r.resourceType === 'StructureDefinition')
    .flatMap((sd) => (sd.snapshot?.element ?? []).flatMap((el) => (el.constraint ?? [])
      .filter((c) => c.source === sd.url)
      .map((c) => ({ ...c, pack: pack.pack, version: pack.version, profile: sd.url, path: el.path }))));
}

interface CheckReport {
  ok: boolean;
  packs: { pack: string; version: string; resources: number; errors: string[]; warnings: string[] }[];
  drift: { missing: string[]; different: string[]; extra: string[] };
}

function runCheck(): Promise<{ code: number; report?: CheckReport; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'scripts', 'build-profiles.mjs'), '--check', '--json'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 170_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let report: CheckReport | undefined;
        try {
          report = JSON.parse(stdout) as CheckReport;
        } catch {
          report = undefined;
        }
        resolve({ code, report, output: `${stdout}\n${stderr}` });
      });
  });
}

const packs = loadPacks();

describe('profile packs', () => {
  test('the packs are those of docs/profiles.md', () => {
    expect(packs.map((p) => `${p.pack}/${p.version}`).sort()).toEqual(expect.arrayContaining([
      'demo-ipm/1.0.0', 'demo-ipm/2.0.0', 'openimis/1.0.0', 'passerelle-base/1.0.0',
    ]));
  });

  test('the committed artefacts are what the sources build, with no SUSHI error or warning (npm run profiles:check)', async () => {
    const { code, report, output } = await runCheck();
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(report?.ok).toBe(true);
    expect(report?.drift).toEqual({ missing: [], different: [], extra: [] });
    for (const pack of report?.packs ?? []) {
      expect({ pack: `${pack.pack}/${pack.version}`, errors: pack.errors, warnings: pack.warnings }).toEqual({ pack: `${pack.pack}/${pack.version}`, errors: [], warnings: [] });
    }
  }, 180_000);

  test.each(packs.map((p) => [`${p.pack}/${p.version}`, p] as const))('%s: sources, sushi-config.yaml and artefacts', (_label, pack) => {
    const fsh = path.join(pack.dir, 'input', 'fsh');
    expect(existsSync(fsh) && readdirSync(fsh).some((f) => f.endsWith('.fsh'))).toBe(true);
    expect(pack.config).toMatchObject({
      canonical: `${CANONICAL_BASE}${pack.pack}`, version: pack.version, fhirVersion: '4.0.1', status: 'active', FSHOnly: 'true',
    });
    expect(pack.resources.length).toBeGreaterThan(0);
    expect(existsSync(path.join(pack.dir, 'messages-fr.json'))).toBe(true);
  });

  test.each(packs.map((p) => [`${p.pack}/${p.version}`, p] as const))('%s: every conformance resource has the pack version, its canonical url, status active and publisher Passerelle', (_label, pack) => {
    const foreign = FOREIGN_CANONICALS[pack.pack] ?? [];
    for (const resource of pack.resources) {
      const where = `${resource.resourceType}/${resource.id}`;
      expect({ where, version: resource.version, status: resource.status, publisher: resource.publisher })
        .toEqual({ where, version: pack.version, status: 'active', publisher: 'Passerelle' });
      const own = `${CANONICAL_BASE}${pack.pack}/${resource.resourceType}/${resource.id}`;
      expect({ where, url: foreign.includes(resource.url) ? own : resource.url }).toEqual({ where, url: own });
      expect(resource.description?.length ?? 0).toBeGreaterThan(20);
    }
  });

  test.each(packs.map((p) => [`${p.pack}/${p.version}`, p] as const))('%s: every StructureDefinition has a snapshot and FHIR version 4.0.1', (_label, pack) => {
    const structures = pack.resources.filter((r) => r.resourceType === 'StructureDefinition');
    expect(structures.length).toBeGreaterThan(0);
    for (const sd of structures) {
      expect({ sd: sd.id, fhirVersion: sd.fhirVersion }).toEqual({ sd: sd.id, fhirVersion: '4.0.1' });
      expect({ sd: sd.id, snapshot: (sd.snapshot?.element.length ?? 0) > 1 }).toEqual({ sd: sd.id, snapshot: true });
      // The snapshot holds every element the differential constrains.
      const ids = new Set(sd.snapshot?.element.map((e) => e.id));
      expect({ sd: sd.id, missing: (sd.differential?.element ?? []).map((e) => e.id).filter((id) => !ids.has(id)) }).toEqual({ sd: sd.id, missing: [] });
    }
  });

  test.each(packs.map((p) => [`${p.pack}/${p.version}`, p] as const))('%s: every invariant has a prefixed key, a severity, English text and an expression', (_label, pack) => {
    const invariants = invariantsOf(pack);
    expect(invariants.length).toBeGreaterThan(0);
    const prefix = KEY_PREFIX[pack.pack];
    expect({ pack: pack.pack, prefix: prefix ?? 'declare the pack key prefix in KEY_PREFIX and docs/profiles.md' }).toEqual({ pack: pack.pack, prefix: expect.stringMatching(/^[a-z]+-$/) });
    for (const inv of invariants) {
      expect(inv.key).toMatch(new RegExp(`^${prefix}[a-z0-9]+(-[a-z0-9]+)*$`));
      expect(['error', 'warning']).toContain(inv.severity);
      expect(inv.human?.length ?? 0).toBeGreaterThan(20);
      expect(inv.expression?.length ?? 0).toBeGreaterThan(5);
    }
  });

  test.each(packs.map((p) => [`${p.pack}/${p.version}`, p] as const))('%s: every invariant key has a French message in messages-fr.json, and every message an invariant', (_label, pack) => {
    const keys = [...new Set(invariantsOf(pack).map((i) => i.key))].sort();
    expect(Object.keys(pack.french).sort()).toEqual(keys);
    for (const inv of invariantsOf(pack)) {
      const french = pack.french[inv.key];
      expect(typeof french === 'string' && french.trim().length > 20).toBe(true);
      expect(french).not.toBe(inv.human);
    }
  });

  test('each invariant key is defined once per pack version, and no two packs share a key or a key prefix', () => {
    const owner = new Map<string, string>();
    for (const pack of packs) {
      const keys = invariantsOf(pack).map((i) => i.key);
      expect({ pack: `${pack.pack}/${pack.version}`, duplicates: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ pack: `${pack.pack}/${pack.version}`, duplicates: [] });
      for (const key of keys) {
        expect({ key, pack: owner.get(key) ?? pack.pack }).toEqual({ key, pack: pack.pack });
        owner.set(key, pack.pack);
      }
    }
    const prefixes = new Map<string, string>();
    for (const [key, pack] of owner) {
      const prefix = key.slice(0, key.indexOf('-') + 1);
      expect({ prefix, pack: prefixes.get(prefix) ?? pack }).toEqual({ prefix, pack });
      prefixes.set(prefix, pack);
    }
  });

  test('docs/profiles.md names every pack version and every invariant key', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'profiles.md'), 'utf8');
    for (const pack of packs) {
      expect({ pack: pack.pack, version: pack.version, named: doc.includes(`| ${pack.pack} | ${pack.version} |`) }).toEqual({ pack: pack.pack, version: pack.version, named: true });
      for (const key of new Set(invariantsOf(pack).map((i) => i.key))) expect({ key, documented: doc.includes(`\`${key}\``) }).toEqual({ key, documented: true });
    }
  });

  test('a key shared by versions of a pack keeps its French message (the engine looks messages up by key)', () => {
    const messages = new Map<string, unknown>();
    for (const pack of packs) {
      for (const [key, text] of Object.entries(pack.french)) {
        expect({ key, text: messages.get(key) ?? text }).toEqual({ key, text });
        messages.set(key, text);
      }
    }
  });
});
