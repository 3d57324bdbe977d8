/**
 * Cold start of one validator, run in a fresh process by the validation benchmark (cold-starts.ts):
 * `node --expose-gc dist/bench/validation/cold-start-probe.js passerelle|medplum|ajv`. Measures the
 * time to load it ready for the first request, and the heap it keeps once loaded (after a full
 * collection). Modules are imported before the clock starts, so only loading is timed. Prints one
 * JSON line.
 */

/** What one cold start measured. */
export interface ColdStart {
  readonly validator: string;
  readonly loadMs: number;
  /** Heap in use after loading and a full collection, minus the heap before loading. */
  readonly heapMb: number;
  readonly rssMb: number;
}

/** Each validator's import (untimed), returning its load (timed). */
const LOADERS: Readonly<Record<string, () => Promise<() => Promise<unknown>>>> = {
  passerelle: async () => {
    const { Conformance } = await import('../../gateway/validation/conformance.js');
    return () => Conformance.load();
  },
  medplum: async () => {
    const { indexMedplumR4 } = await import('./medplum.js');
    return () => indexMedplumR4();
  },
  ajv: async () => {
    const { SchemaValidator } = await import('../schema-validator.js');
    return () => SchemaValidator.load();
  },
};

async function main(): Promise<void> {
  const validator = process.argv[2] ?? '';
  const loader = LOADERS[validator];
  if (!loader) throw new Error(`Unknown validator "${validator}"; expected one of ${Object.keys(LOADERS).join(', ')}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('Run with --expose-gc');
  const load = await loader();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const loaded = await load();
  const loadMs = performance.now() - start;
  gc();
  const memory = process.memoryUsage();
  const result: ColdStart = { validator, loadMs, heapMb: (memory.heapUsed - heapBefore) / 2 ** 20, rssMb: memory.rss / 2 ** 20 };
  console.log(JSON.stringify(result));
  // What was loaded stays reachable until after the measurement.
  if (loaded === Symbol.for('never')) console.error(loaded);
}

await main();
