/**
 * The adapterSettings of an insurer served by the mapping adapter: the spec it uses, the settings the
 * spec's expressions read (%settings.memberSystem), and its transport's: baseUrl, apiKeyEnv and
 * timeoutMs for http-json, folder for csv-batch.
 */
import { isAbsolute } from 'node:path';
import { compiledSpec } from './compile-spec.js';
import { loadMappingSpec } from './load-spec.js';
import type { MappingSpec } from './spec-schema.js';

/** An insurer's settings, checked. */
export type MappingSettings =
  | { readonly spec: MappingSpec; readonly kind: 'http-json'; readonly baseUrl: string; readonly apiKeyEnv?: string; readonly timeoutMs?: number }
  | { readonly spec: MappingSpec; readonly kind: 'csv-batch'; readonly folder: string };

const fail = (message: string): never => {
  throw new Error(`mapping adapter: ${message}`);
};

/** Checks an insurer's settings and loads its spec; throws with a readable message. */
export function mappingSettings(raw: Readonly<Record<string, unknown>>, mappingsDir?: string): MappingSettings {
  const { mapping } = raw;
  if (typeof mapping !== 'string' || mapping.trim() === '') fail('settings.mapping must name a mapping spec (e.g. "examples/ipm-json.mapping.json")');
  const spec = loadMappingSpec(mapping as string, mappingsDir);
  for (const name of compiledSpec(spec).settingsRead) {
    if (typeof raw[name] !== 'string' || raw[name] === '') fail(`settings.${name} must be set (a string): the mapping ${spec.id} reads %settings.${name}`);
  }
  if (spec.transport.kind === 'csv-batch') {
    const { folder } = raw;
    if (typeof folder !== 'string' || !isAbsolute(folder)) fail(`settings.folder must be an absolute path (the insurer's batch folder) for the csv-batch mapping ${spec.id}`);
    return { spec, kind: 'csv-batch', folder: folder as string };
  }
  const { baseUrl, apiKeyEnv, timeoutMs } = raw;
  if (typeof baseUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(baseUrl)) fail(`settings.baseUrl must be an http(s) URL for the http-json mapping ${spec.id}`);
  if (apiKeyEnv !== undefined && (typeof apiKeyEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv))) {
    fail('settings.apiKeyEnv must be the name of an environment variable (letters, digits and _)');
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) fail('settings.timeoutMs must be a positive number');
  return {
    spec, kind: 'http-json', baseUrl: (baseUrl as string).replace(/\/+$/, ''),
    ...(apiKeyEnv === undefined ? {} : { apiKeyEnv: apiKeyEnv as string }),
    ...(timeoutMs === undefined ? {} : { timeoutMs: timeoutMs as number }),
  };
}
