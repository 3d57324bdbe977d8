/**
 * The shape every benchmark of the registry (bench/run.ts) shares: a benchmark measures Passerelle
 * next to baselines run in the same process, on the same machine, with the same payloads, and returns
 * tables of figures with their ratios and targets plus free-text sections (findings, method). The
 * report (docs/benchmarks.md) and bench/results/latest.json are built from these alone.
 */

/** What a benchmark may use while it runs. */
export interface BenchContext {
  /** Absolute path of the repository root. */
  readonly root: string;
  /** Progress line on stderr (the report is the output that matters). */
  log(line: string): void;
}

/** One benchmark of the registry. */
export interface Benchmark {
  /** Short id, used on the command line (`npm run bench -- validation`) and in latest.json. */
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<BenchmarkResult>;
}

/** A target a figure must meet, against one baseline. */
export interface Target {
  readonly baseline: string;
  /** The ratio (baseline ÷ Passerelle for "lower is better" figures) must be at least this. */
  readonly minRatio: number;
}

/** One row: a figure measured for Passerelle and for each baseline. */
export interface ComparisonRow {
  readonly subject: string;
  readonly metric: string;
  readonly ours: number | null;
  /** Baseline name → figure; null when that baseline was not measured (the table says why). */
  readonly baselines: Readonly<Record<string, number | null>>;
}

/** A row with its ratios and the verdict on its target, as stored and reported. */
export interface ScoredRow extends ComparisonRow {
  /** Baseline name → how many times better Passerelle is (above 1) or worse (below 1). */
  readonly ratios: Readonly<Record<string, number | null>>;
  /** Whether the table's target is met on this row: null when a figure is missing, undefined without a target. */
  readonly targetMet?: boolean | null;
}

/** A table of comparisons that share a unit and a direction. */
export interface ComparisonTable {
  readonly title: string;
  /** Header of the subject column (e.g. "Payload"). */
  readonly subjectLabel: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  /** What a ratio above 1 means, e.g. "faster" or "smaller". */
  readonly ratioMeaning: string;
  /** Baseline names, in column order. */
  readonly baselines: readonly string[];
  readonly target?: Target;
  readonly rows: readonly ScoredRow[];
  readonly notes?: readonly string[];
}

/** Free text of a report: findings, method, caveats (Markdown lines). */
export interface ReportSection {
  readonly title: string;
  readonly lines: readonly string[];
}

/** What a benchmark returns. */
export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  /** One-line verdict on the benchmark's targets. */
  readonly summary: string;
  readonly tables: readonly ComparisonTable[];
  readonly sections: readonly ReportSection[];
  /** Raw figures for latest.json (samples counts, sizes, issue lists...). */
  readonly data?: unknown;
}

/** Facts about the machine a run was measured on. */
export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly platform: string;
  readonly node: string;
  readonly date: string;
  /** 1-minute load average when the run started and when it ended: above the core count, other work shared the machine. */
  readonly loadAverage: { readonly start: number; readonly end?: number };
}

/** bench/results/latest.json */
export interface RunReport {
  readonly generatedAt: string;
  readonly machine: MachineFacts;
  readonly benchmarks: readonly BenchmarkResult[];
}
