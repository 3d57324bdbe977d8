#!/usr/bin/env node
/**
 * Compiles the profile packs (profiles/<pack>/<version>/: sushi-config.yaml and input/fsh/*.fsh) with SUSHI,
 * snapshots included, and writes the normalised artefacts to profiles/<pack>/<version>/fsh-generated/resources/.
 *
 *   node scripts/build-profiles.mjs            build every pack (npm run profiles:build)
 *   node scripts/build-profiles.mjs --check    build every pack into a temporary folder and compare with the
 *                                              committed artefacts; exit 1 listing what differs, is missing or
 *                                              is extra (npm run profiles:check). Never writes in profiles/.
 *   options: --pack <id>[/<version>] (only that pack), --json (one JSON summary on stdout), --verbose (SUSHI's log)
 *
 * SUSHI runs in-process, offline: it gets the project-local FHIR package cache built by
 * scripts/fhir-package-cache.mjs (SUSHI on its own only looks in $HOME/.fhir/packages), a registry client that
 * refuses every download, and no automatic dependencies (hl7.terminology.r4, hl7.fhir.uv.extensions.r4,
 * hl7.fhir.uv.tools.r4 are out of reach; a pack that needed one of them fails with an error naming what is
 * missing). Packs are compiled in parallel worker threads, each with its own SUSHI (whose logger is global).
 *
 * Normalisation, so that the artefacts only change when the sources do: keys of every object in a stable order
 * (resourceType, id, url, path first, then alphabetical), 2-space JSON and a final newline, one file per
 * resource named as SUSHI names it (<resourceType>-<id>.json). SUSHI 3.21 stamps no date or other volatile field
 * in FSHOnly projects; `date` and `meta.lastUpdated` are dropped anyway should a later SUSHI start stamping them
 * (set them in FSH with a caret rule if a pack needs them: a pack's `date` is then kept).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ensureFhirPackageCache } from './fhir-package-cache.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROFILES = path.join(ROOT, 'profiles');
/** Folders of profiles/ that are not packs (profiles/generated holds the precompiled ajv validators). */
const NOT_PACKS = new Set(['generated', 'node_modules']);
const DRIFT_MESSAGE = 'sources and artefacts drifted apart: run npm run profiles:build';

// ---------------------------------------------------------------------------------------------------------
// Discovery and normalisation (main thread)

/** Every pack version: profiles/<pack>/<version>/sushi-config.yaml. */
export function discoverPacks(root = PROFILES) {
  const packs = [];
  if (!existsSync(root)) return packs;
  for (const pack of readdirSync(root, { withFileTypes: true })) {
    if (!pack.isDirectory() || NOT_PACKS.has(pack.name) || pack.name.startsWith('.')) continue;
    for (const version of readdirSync(path.join(root, pack.name), { withFileTypes: true })) {
      const dir = path.join(root, pack.name, version.name);
      if (version.isDirectory() && existsSync(path.join(dir, 'sushi-config.yaml'))) {
        packs.push({ pack: pack.name, version: version.name, dir });
      }
    }
  }
  return packs.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

const FIRST_KEYS = ['resourceType', 'id', 'url', 'path'];

function compareKeys(a, b) {
  const ia = FIRST_KEYS.indexOf(a);
  const ib = FIRST_KEYS.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? FIRST_KEYS.length : ia) - (ib < 0 ? FIRST_KEYS.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value).sort(compareKeys)) out[key] = sortKeys(value[key]);
  return out;
}

/** The committed form of one SUSHI resource. `authoredDate` is true when the FSH sets `date` itself. */
export function normalise(resource, { authoredDate = false } = {}) {
  const copy = JSON.parse(JSON.stringify(resource));
  if (!authoredDate) delete copy.date;
  if (copy.meta) {
    delete copy.meta.lastUpdated;
    if (Object.keys(copy.meta).length === 0) delete copy.meta;
  }
  return `${JSON.stringify(sortKeys(copy), null, 2)}\n`;
}

function listJson(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
}

// ---------------------------------------------------------------------------------------------------------
// SUSHI, in a worker thread

async function compilePack({ dir, cacheDir, verbose }) {
  const require = createRequire(import.meta.url);
  const sushi = require('fsh-sushi');
  const { DiskBasedPackageCache } = require('fhir-package-loader');
  const { loadPredefinedResources } = require('fsh-sushi/dist/ig');
  const { utils, fhirdefs, sushiExport } = sushi;

  // Offline: no automatic dependencies, and any download attempt fails at once.
  utils.AUTOMATIC_DEPENDENCIES.length = 0;
  const offline = {
    resolveVersion: async (name, version) => {
      if (/^\d+\.\d+\.\d+/.test(version)) return version;
      throw new Error(`${name}#${version}: the FHIR package registry is not used (offline build)`);
    },
    download: async (name, version) => {
      throw new Error(`${name}#${version} is not in the local FHIR package cache (offline build)`);
    },
    getCurrentBuildDate: async () => undefined,
    downloadCurrentBuild: async (name) => {
      throw new Error(`${name}#current cannot be downloaded (offline build)`);
    },
  };

  utils.stats.reset();
  utils.errorsAndWarnings.reset();
  utils.errorsAndWarnings.shouldTrack = true;
  utils.logger.transports[0].silent = !verbose;

  const where = (e) => (e.input ? `${path.relative(ROOT, e.input)}${e.location ? `:${e.location.startLine}` : ''}: ` : '');
  const report = (files, extra = []) => ({
    files,
    errors: [...utils.errorsAndWarnings.errors.map((e) => `${where(e)}${e.message}`), ...extra],
    warnings: utils.errorsAndWarnings.warnings.map((e) => `${where(e)}${e.message}`),
  });
  try {
    return report(await runSushi({ dir, cacheDir, utils, fhirdefs, sushiExport, DiskBasedPackageCache, loadPredefinedResources, offline }));
  } catch (err) {
    // SUSHI logs the reason before it throws (e.g. a sushi-config.yaml that does not parse).
    return report({}, [`SUSHI stopped: ${err?.message || String(err)}`]);
  }
}

async function runSushi({ dir, cacheDir, utils, fhirdefs, sushiExport, DiskBasedPackageCache, loadPredefinedResources, offline }) {
  const inputDir = path.join(dir, 'input', 'fsh');
  const config = utils.readConfig(dir);
  if (config.FSHOnly !== true) {
    utils.logger.error('sushi-config.yaml must set "FSHOnly: true" (otherwise SUSHI drops the pack version from the StructureDefinitions)', { file: config.filePath });
  }
  const tank = utils.fillTank(existsSync(inputDir) ? utils.getRawFSHes(inputDir) : [], config);
  tank.checkDuplicateNameEntities();
  const log = (level, message) => utils.logger.log(level, message);
  const defs = await fhirdefs.createFHIRDefinitions({
    packageCache: new DiskBasedPackageCache(cacheDir, { log }),
    registryClient: offline,
    currentBuildClient: offline,
  });
  await utils.loadExternalDependencies(defs, config);
  await loadPredefinedResources(defs, path.join(dir, 'input'), dir, config.parameters);
  defs.optimize();
  if (defs.fishForFHIR('StructureDefinition', utils.Type.Resource) == null) {
    utils.logger.error(`hl7.fhir.r4.core#4.0.1 is not in ${cacheDir}: run node scripts/fhir-package-cache.mjs --force`);
    return {};
  }
  const outPackage = sushiExport.exportFHIR(tank, defs);
  const authorsDate = /\^date\s*=/.test(readFsh(inputDir));
  const files = {};
  const all = [
    ...outPackage.profiles, ...outPackage.extensions, ...outPackage.logicals, ...outPackage.resources,
    ...outPackage.valueSets, ...outPackage.codeSystems,
    ...outPackage.instances.filter((i) => i._instanceMeta.usage !== 'Inline'),
  ];
  for (const resource of all) {
    files[resource.getFileName()] = normalise(resource.toJSON(true), { authoredDate: authorsDate });
  }
  return files;
}

function readFsh(dir) {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.fsh')).sort()
    .map((f) => readFileSync(path.join(dir, String(f)), 'utf8')).join('\n');
}

if (!isMainThread && workerData?.role === 'sushi-worker') {
  parentPort.on('message', async (job) => {
    if (job === 'exit') {
      process.exit(0);
    }
    try {
      parentPort.postMessage({ ok: true, dir: job.dir, result: await compilePack(job) });
    } catch (err) {
      parentPort.postMessage({ ok: false, dir: job.dir, error: err?.stack ?? String(err) });
    }
  });
  parentPort.postMessage({ ready: true });
}

/** Compiles every pack on up to `parallel` worker threads; resolves with one result per pack dir. */
function compileAll(packs, { cacheDir, verbose, parallel }) {
  const queue = [...packs];
  const results = new Map();
  const count = Math.max(1, Math.min(parallel, queue.length));
  return new Promise((resolve, reject) => {
    let running = count;
    for (let i = 0; i < count; i++) {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'sushi-worker' } });
      const next = () => {
        const pack = queue.shift();
        if (pack) worker.postMessage({ dir: pack.dir, cacheDir, verbose });
        else worker.postMessage('exit');
      };
      worker.on('message', (message) => {
        if (message.ready) return next();
        results.set(message.dir, message.ok ? message.result : { files: {}, errors: [`SUSHI crashed: ${message.error}`], warnings: [] });
        next();
      });
      worker.on('error', reject);
      worker.on('exit', () => {
        running -= 1;
        if (running === 0) resolve(results);
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Build and check

function selectPacks(all, only) {
  if (!only) return all;
  const [pack, version] = only.split('/');
  const chosen = all.filter((p) => p.pack === pack && (!version || p.version === version));
  if (chosen.length === 0) throw new Error(`no pack ${only} under profiles/`);
  return chosen;
}

function writeArtefacts(outDir, files) {
  mkdirSync(outDir, { recursive: true });
  for (const name of listJson(outDir)) {
    if (!(name in files)) rmSync(path.join(outDir, name));
  }
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(outDir, name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  }
}

/** Differences between the built files and those committed in `committedDir`. */
function compare(files, committedDir, rel) {
  const committed = new Set(listJson(committedDir));
  const drift = { missing: [], different: [], extra: [] };
  for (const [name, text] of Object.entries(files)) {
    if (!committed.has(name)) drift.missing.push(`${rel}/${name}`);
    else if (readFileSync(path.join(committedDir, name), 'utf8') !== text) drift.different.push(`${rel}/${name}`);
  }
  for (const name of committed) {
    if (!(name in files)) drift.extra.push(`${rel}/${name}`);
  }
  return drift;
}

async function main(argv) {
  const args = argv.slice(2);
  const check = args.includes('--check');
  const json = args.includes('--json');
  const verbose = args.includes('--verbose');
  const packAt = args.indexOf('--pack');
  const started = Date.now();
  const say = json ? () => undefined : (line) => console.log(line);

  const cache = ensureFhirPackageCache();
  const packs = selectPacks(discoverPacks(), packAt >= 0 ? args[packAt + 1] : undefined);
  if (packs.length === 0) {
    say('No profile pack under profiles/.');
    return 0;
  }
  const parallel = Number(process.env.PROFILES_BUILD_PARALLEL) || Math.min(2, availableParallelism());
  const results = await compileAll(packs, { cacheDir: cache.cacheDir, verbose, parallel });

  const tempRoot = check ? mkdtempSync(path.join(tmpdir(), 'passerelle-profiles-check-')) : undefined;
  const drift = { missing: [], different: [], extra: [] };
  const summary = [];
  let failed = false;
  for (const pack of packs) {
    const result = results.get(pack.dir);
    const rel = path.relative(ROOT, path.join(pack.dir, 'fsh-generated', 'resources'));
    summary.push({ pack: pack.pack, version: pack.version, resources: Object.keys(result.files).length, errors: result.errors, warnings: result.warnings });
    const counts = `${Object.keys(result.files).length} resources, ${result.errors.length} errors, ${result.warnings.length} warnings`;
    say(`${pack.pack} ${pack.version}: ${counts}`);
    for (const e of result.errors) say(`  error ${e}`);
    for (const w of result.warnings) say(`  warn  ${w}`);
    if (result.errors.length > 0) {
      failed = true;
      continue;
    }
    if (check) {
      writeArtefacts(path.join(tempRoot, pack.pack, pack.version, 'fsh-generated', 'resources'), result.files);
      const d = compare(result.files, path.join(pack.dir, 'fsh-generated', 'resources'), rel);
      drift.missing.push(...d.missing);
      drift.different.push(...d.different);
      drift.extra.push(...d.extra);
    } else {
      writeArtefacts(path.join(pack.dir, 'fsh-generated', 'resources'), result.files);
    }
  }
  const drifted = drift.missing.length + drift.different.length + drift.extra.length > 0;
  if (check) {
    for (const f of drift.different) say(`  differs: ${f}`);
    for (const f of drift.missing) say(`  missing: ${f}`);
    for (const f of drift.extra) say(`  extra:   ${f}`);
    if (drifted) say(`${DRIFT_MESSAGE} (the freshly built artefacts are in ${tempRoot})`);
    else rmSync(tempRoot, { recursive: true, force: true });
  }
  if (failed) say('SUSHI reported errors: the artefacts of the packs in error were left as they were.');
  const ms = Date.now() - started;
  say(`${check ? 'Checked' : 'Built'} ${packs.length} pack versions in ${(ms / 1000).toFixed(1)} s${check && !drifted && !failed ? ': artefacts up to date' : ''}.`);
  if (json) {
    console.log(JSON.stringify({ ok: !failed && !drifted, mode: check ? 'check' : 'build', ms, packs: summary, drift, ...(drifted ? { message: DRIFT_MESSAGE, builtIn: tempRoot } : {}) }, null, 2));
  }
  return failed || drifted ? 1 : 0;
}

if (isMainThread && process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Exit explicitly: nothing the build started is left to wait for (the workers have ended).
  main(process.argv).then((code) => process.exit(code), (err) => {
    console.error(err?.stack ?? String(err));
    process.exit(2);
  });
}
