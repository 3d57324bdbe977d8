/**
 * The published profile packs (profiles/<pack>/<version>/): their StructureDefinitions, ValueSets and
 * CodeSystems as SUSHI built them (fsh-generated/resources, committed), and the French texts of their
 * invariants. Which pack versions apply to a claim is decided here too: every participant meets the
 * base pack, and an insurer's registry entry names its own pack versions with the date each takes
 * effect, so an insurer moves to a new version on a set day while the old one works until then.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareVersions, liteCodeSystem, liteStructureDefinition } from './engine/definitions.js';
import type { EngineSources } from './engine/engine.js';

type Json = Record<string, unknown>;

/** The pack every participant must meet. */
export const BASE_PACK = 'passerelle-base';

/** One version of a pack, as published. */
export interface PackVersion {
  readonly pack: string;
  readonly version: string;
  /** Every conformance resource of the version (StructureDefinition, ValueSet, CodeSystem...). */
  readonly resources: readonly Json[];
  readonly frenchMessages: ReadonlyMap<string, string>;
}

/** One entry of an insurer's pack schedule (participant registry). */
export interface PackScheduleEntry {
  readonly pack: string;
  readonly version: string;
  /** ISO date (or dateTime) from which this version applies; absent: from the start. */
  readonly from?: string;
}

const PROFILES_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));

/** The packs published by this gateway. */
export class PackCatalogue {
  private constructor(readonly versions: readonly PackVersion[]) {}

  /** Reads every profiles/<pack>/<version>/ that holds built artefacts. */
  static async load(dir = PROFILES_DIR): Promise<PackCatalogue> {
    const versions: PackVersion[] = [];
    if (!existsSync(dir)) return new PackCatalogue(versions);
    for (const pack of (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      for (const version of (await readdir(join(dir, pack), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
        const artefacts = join(dir, pack, version, 'fsh-generated', 'resources');
        if (!existsSync(artefacts)) continue;
        const resources: Json[] = [];
        for (const file of (await readdir(artefacts)).filter((f) => f.endsWith('.json')).sort()) {
          resources.push(JSON.parse(await readFile(join(artefacts, file), 'utf8')) as Json);
        }
        const messagesFile = join(dir, pack, version, 'messages-fr.json');
        const french = existsSync(messagesFile) ? (JSON.parse(await readFile(messagesFile, 'utf8')) as Record<string, string>) : {};
        versions.push({ pack, version, resources, frenchMessages: new Map(Object.entries(french)) });
      }
    }
    return new PackCatalogue(versions);
  }

  /** A published pack version, if it exists. */
  get(pack: string, version: string): PackVersion | undefined {
    return this.versions.find((v) => v.pack === pack && v.version === version);
  }

  /** The newest published version of a pack. */
  latest(pack: string): PackVersion | undefined {
    return this.versions.filter((v) => v.pack === pack).sort((a, b) => compareVersions(b.version, a.version))[0];
  }

  /** Every published conformance resource of a type, in every pack version. */
  resources(resourceType?: string): Json[] {
    return this.versions.flatMap((v) => v.resources.filter((r) => !resourceType || r.resourceType === resourceType));
  }

  /** Versioned canonicals (url|version) of the resource profiles of a pack version that constrain a type. */
  profilesOf(version: PackVersion, resourceType: string): string[] {
    return version.resources
      .filter((r) => r.resourceType === 'StructureDefinition' && r.kind === 'resource' && r.derivation === 'constraint' && r.type === resourceType)
      .map((r) => `${String(r.url)}|${String(r.version)}`);
  }

  /** What the validation engine needs from the packs. */
  engineSources(): EngineSources {
    const structures = this.resources('StructureDefinition').map(liteStructureDefinition).filter((sd) => sd !== undefined);
    const valueSets = new Map<string, Json>();
    const codeSystems = new Map<string, ReturnType<typeof liteCodeSystem>>();
    for (const r of this.resources()) {
      if (r.resourceType === 'ValueSet') valueSets.set(r.url as string, r);
      if (r.resourceType === 'CodeSystem') codeSystems.set(r.url as string, liteCodeSystem(r));
    }
    const frenchMessages = new Map(this.versions.flatMap((v) => [...v.frenchMessages]));
    return { structures, terminologies: [{ valueSets, codeSystems }], frenchMessages };
  }

  /**
   * The pack versions in force for a participant at a moment: the base pack's newest version, plus,
   * for each pack of its schedule, the entry with the latest `from` not after that moment.
   */
  inForce(schedule: readonly PackScheduleEntry[], at: Date): PackVersion[] {
    const chosen = new Map<string, PackScheduleEntry>();
    for (const entry of schedule) {
      const from = entry.from ? Date.parse(entry.from) : -Infinity;
      if (from > at.getTime()) continue;
      const current = chosen.get(entry.pack);
      const currentFrom = current?.from ? Date.parse(current.from) : -Infinity;
      if (!current || from >= currentFrom) chosen.set(entry.pack, entry);
    }
    const base = chosen.has(BASE_PACK) ? undefined : this.latest(BASE_PACK);
    const versions = [...chosen.values()].map((e) => this.get(e.pack, e.version)).filter((v): v is PackVersion => v !== undefined);
    return base ? [base, ...versions] : versions;
  }

  /** The schedule entries that name a pack version this gateway does not publish. */
  unknownEntries(schedule: readonly PackScheduleEntry[]): PackScheduleEntry[] {
    return schedule.filter((e) => !this.get(e.pack, e.version));
  }
}
