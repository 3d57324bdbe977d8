/**
 * Loads mapping specs: a JSON file, its shape checked with zod and its expressions compiled, every
 * problem reported with its path in one Error. Loaded once per file and kept.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSpec } from './compile-spec.js';
import { mappingSpecSchema, type MappingSpec } from './spec-schema.js';

/**
 * The mappings/ folder: the source tree's when run from it, dist/mappings/ when run from the build
 * (the build must copy the mappings' JSON files there).
 */
export const MAPPINGS_DIR = fileURLToPath(new URL('../', import.meta.url));

const loaded = new Map<string, MappingSpec>();

/**
 * The spec at `ref`: a path relative to the mappings folder (examples/ipm-json.mapping.json) or an
 * absolute one. Throws an Error listing every problem of the file.
 */
export function loadMappingSpec(ref: string, mappingsDir: string = MAPPINGS_DIR): MappingSpec {
  const file = isAbsolute(ref) ? ref : resolve(mappingsDir, ref);
  const cached = loaded.get(file);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`mapping spec ${ref}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`mapping spec ${ref}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const spec = parseMappingSpec(json, ref);
  loaded.set(file, spec);
  return spec;
}

/** Checks a spec already parsed from JSON; throws an Error listing every problem with its path. */
export function parseMappingSpec(json: unknown, source: string): MappingSpec {
  const parsed = mappingSpecSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]') || '(root)'}: ${issue.message}`);
    throw new Error(`mapping spec ${source} has ${problems.length} problem(s): ${problems.join('; ')}`);
  }
  const problems = checkSpec(parsed.data);
  if (problems.length > 0) {
    throw new Error(`mapping spec ${source} has ${problems.length} problem(s): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  return parsed.data;
}
