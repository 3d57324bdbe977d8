/**
 * The loop every periodic task of the worker role shares: run every intervalMs, never two runs at once,
 * failures logged and retried at the next tick, and a stop() that waits for a run in progress.
 */
import type { Logger } from '../gateway/logger.js';

/** Starts the task; returns stop(). */
export function startPeriodic(name: string, intervalMs: number, task: () => Promise<unknown>, logger: Logger): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= task()
      .catch((err: Error) => logger.warn({ task: name, err: { message: err.message } }, 'periodic task failed'))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
