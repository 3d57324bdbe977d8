// Serving a fault rule, for every face of the sandbox: take the next rule for this insurer and route,
// count it, and wait its hangMs + delayMs (cut short when the sandbox closes, so shutdown never waits
// for an injected hang). What the rule then answers is each face's own format.
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxContext } from './context.js';
import type { FaultOperation, FaultRule } from './fault-injection.js';

/** The next fault rule for this insurer and route, after its wait; undefined when there is none. */
export async function takeFault(ctx: SandboxContext, insurerId: string, operation: FaultOperation): Promise<FaultRule | undefined> {
  const fault = ctx.faults.take(insurerId, operation);
  if (!fault) {
    return undefined;
  }
  ctx.stats.countFaultServed();
  const waitMs = (fault.hangMs ?? 0) + (fault.delayMs ?? 0);
  if (waitMs > 0) {
    await sleep(waitMs, undefined, { signal: ctx.closing }).catch(() => undefined);
  }
  return fault;
}
