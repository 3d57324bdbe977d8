/**
 * Cold starts of the validation benchmark: each validator loaded in fresh processes
 * (cold-start-probe.ts), load time and heap kept, as medians of a few runs next to the baselines.
 */
import { fileURLToPath } from 'node:url';
import { runIsolated } from '../harness/isolated.js';
import { median, scoreTable } from '../harness/measure.js';
import type { BenchContext, ComparisonTable } from '../harness/types.js';
import type { ColdStart } from './cold-start-probe.js';

const COLD_START_RUNS = 3;

/** Every run of every validator, and the runs that failed. */
export interface ColdStarts {
  readonly runs: Record<string, ColdStart[]>;
  readonly failures: string[];
}

/** Runs each validator's cold start COLD_START_RUNS times, each in a fresh process. */
export async function measureColdStarts(context: BenchContext): Promise<ColdStarts> {
  const script = fileURLToPath(new URL('./cold-start-probe.js', import.meta.url));
  const runs: Record<string, ColdStart[]> = { passerelle: [], medplum: [], ajv: [] };
  const failures: string[] = [];
  for (let i = 0; i < COLD_START_RUNS; i++) {
    for (const validator of Object.keys(runs)) {
      try {
        runs[validator]!.push(await runIsolated<ColdStart>(script, [validator]));
      } catch (err) {
        failures.push(`${validator}: ${(err as Error).message}`);
        context.log(`validation: cold start of ${validator} failed: ${(err as Error).message}`);
      }
    }
  }
  return { runs, failures };
}

/** The cold-start figures next to their baselines (medians of the runs). */
export function coldStartTables({ runs, failures }: ColdStarts): ComparisonTable[] {
  const failed = failures.map((f) => `**A cold start failed** (${f.slice(0, 300)}).`);
  const pick = (validator: string, key: 'loadMs' | 'heapMb') => {
    const values = runs[validator]?.map((r) => r[key]) ?? [];
    return values.length ? median(values) : null;
  };
  const row = (key: 'loadMs' | 'heapMb', metric: string) => ({
    subject: 'loaded, ready to validate', metric, ours: pick('passerelle', key), baselines: { medplum: pick('medplum', key), ajv: pick('ajv', key) },
  });
  return [
    scoreTable({
      title: 'Cold start: load time', subjectLabel: 'Start-up', unit: 'ms', better: 'lower', ratioMeaning: 'faster', baselines: ['medplum', 'ajv'],
      rows: [row('loadMs', `median of ${COLD_START_RUNS}`)],
      notes: [...failed, 'Fresh process each time; modules are imported before the clock starts. Passerelle: `await Conformance.load()` (reads the R4 core and the packs, compiles the claim types and every pack profile); medplum: indexing profiles-types.json and profiles-resources.json; ajv: importing the precompiled validators (`SchemaValidator.load()`).'],
    }),
    scoreTable({
      title: 'Cold start: heap kept after loading', subjectLabel: 'Start-up', unit: 'MB', better: 'lower', ratioMeaning: 'smaller', baselines: ['medplum', 'ajv'],
      rows: [row('heapMb', `median of ${COLD_START_RUNS}`)],
      notes: ['Heap in use after loading and a full collection (node --expose-gc), minus the heap before loading, in the same fresh processes.'],
    }),
  ];
}
