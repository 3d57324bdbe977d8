/** The facts about the machine that every report carries, since figures only compare within one machine. */
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import type { MachineFacts } from './types.js';

export function machineFacts(now = new Date()): MachineFacts {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${osType()} ${release()} (${process.arch})`,
    node: process.version,
    date: now.toISOString(),
    loadAverage: { start: loadAverage() },
  };
}

/** The 1-minute load average, to two decimals. */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
