/**
 * `npm run bench [-- name...]`: runs the benchmarks of the registry in sequence (all of them, or those
 * named), writes bench/results/latest.json and regenerates docs/benchmarks.md. Benchmarks not run keep
 * their previous results, so a slow one need not be rerun to refresh another. Adding a benchmark is
 * adding an item to BENCHMARKS.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAverage, machineFacts } from './harness/machine.js';
import { repositoryRoot } from './harness/paths.js';
import { renderMarkdown } from './harness/report.js';
import type { Benchmark, BenchmarkResult, RunReport } from './harness/types.js';
import { endToEndBenchmark } from './end-to-end/benchmark.js';
import { eligibilityBenchmark } from './eligibility/benchmark.js';
import { ingestBenchmark } from './ingest/benchmark.js';
import { validationBenchmark } from './validation/benchmark.js';

/** Every benchmark, in the order they run and appear in the report. */
export const BENCHMARKS: readonly Benchmark[] = [validationBenchmark, eligibilityBenchmark, ingestBenchmark, endToEndBenchmark];

async function main(): Promise<void> {
  const root = repositoryRoot();
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) throw new Error(`Unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const selected = wanted.length > 0 ? BENCHMARKS.filter((b) => wanted.includes(b.name)) : BENCHMARKS;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const machine = machineFacts();
  if (!(globalThis as { gc?: unknown }).gc) log('bench: node runs without --expose-gc: no collection between series (npm run bench passes it)');

  const resultsFile = join(root, 'bench', 'results', 'latest.json');
  const previous = existsSync(resultsFile) ? (JSON.parse(await readFile(resultsFile, 'utf8')) as RunReport).benchmarks : [];
  const fresh: BenchmarkResult[] = [];
  for (const benchmark of selected) {
    log(`bench: ${benchmark.name}`);
    fresh.push(await benchmark.run({ root, log }));
  }
  const benchmarks = BENCHMARKS.map((b) => fresh.find((r) => r.name === b.name) ?? previous.find((r) => r.name === b.name))
    .filter((r): r is BenchmarkResult => r !== undefined);
  const report: RunReport = { generatedAt: new Date().toISOString(), machine: { ...machine, loadAverage: { ...machine.loadAverage, end: loadAverage() } }, benchmarks };

  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(root, 'docs', 'benchmarks.md'), renderMarkdown(report));
  for (const result of fresh) log(`bench: ${result.name}: ${result.summary}`);
  log('bench: wrote bench/results/latest.json and docs/benchmarks.md');
}

await main();
