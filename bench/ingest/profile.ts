/**
 * Where a process's CPU time went, from a V8 CPU profile (`node --cpu-prof`): self time by module (an
 * npm package, or a file of the repository) and the functions with the most self time. Used when the
 * ingest benchmark runs with BENCH_INGEST_PROFILE=1, to say where the gateway spends a claim.
 */
import { readFileSync } from 'node:fs';

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }; readonly hitCount?: number }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  /** Share of the profile's busy time (idle excluded). */
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly byModule: readonly SelfTime[];
  readonly byFunction: readonly SelfTime[];
}

/** Reads and summarises a .cpuprofile file. */
export function summariseProfileFile(file: string, top = 15): ProfileSummary {
  return summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

/** Self time per module and per function, biggest first (see the module comment). */
export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const module = moduleOf(frame.url, frame.functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${module}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const ranked = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, byModule: ranked(byModule), byFunction: ranked(byFunction) };
}

/**
 * The module a frame belongs to: the npm package (node_modules/<name> or <@scope/name>), the file under
 * the repository's dist (as its source path), node's own modules, or V8's pseudo-frames ("(garbage
 * collector)", "(program)").
 */
export function moduleOf(url: string, functionName = ''): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage) return inPackage[1]!;
  if (url.startsWith('node:')) return url;
  const inDist = /\/dist\/(.+)\.js$/.exec(url);
  if (inDist) return `${inDist[1]}.ts`;
  return url.replace(/^file:\/\//, '');
}
