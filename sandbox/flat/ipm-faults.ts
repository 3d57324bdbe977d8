// Fault rules aimed at the IPM JSON API (operation 'ipm/claims'): the control API's rules, served in
// the IPM's error format. Besides a status, a hang or a delay, a rule may corrupt the 200 reply the way
// a home-grown API (or the proxy in front of it) does: a maintenance page, fields missing, another
// claim's answer. The request is handled normally first, so the claim is adjudicated and kept.
import type { SandboxContext } from '../context.js';
import type { FaultReply, FaultRule } from '../fault-injection.js';
import { takeFault } from '../fault-serving.js';
import { ipmError, type IpmReply } from './ipm-http.js';

/** Consumes the next fault rule for this insurer's IPM API, if any, after its wait (fault-serving.ts). */
export function takeIpmFault(ctx: SandboxContext, insurerId: string): Promise<FaultRule | undefined> {
  return takeFault(ctx, insurerId, 'ipm/claims');
}

/** The error reply of a rule with a status; 429 adds Retry-After: 1. */
export function faultStatusReply(status: number): IpmReply {
  const reply = ipmError(status, 'FAULT_INJECTED', `Fault injected by the sandbox control API (HTTP ${status}).`);
  return status === 429 ? { ...reply, headers: { 'Retry-After': '1' } } : reply;
}

/**
 * Corrupts a reply as the rule says. "unparseable" always answers a 200 HTML page; the other two change
 * 200 JSON answers only (an error reply goes out as it was).
 */
export function corruptReply(reply: IpmReply, kind: FaultReply, otherClaimRef: () => string): IpmReply {
  if (kind === 'unparseable') {
    return { status: 200, body: '<html>maintenance</html>' };
  }
  if (reply.status !== 200 || typeof reply.body !== 'object' || reply.body === null) {
    return reply;
  }
  const body = reply.body as Record<string, unknown>;
  if (kind === 'missing-fields') {
    const { status: _status, lines: _lines, ...rest } = body;
    return { ...reply, body: rest };
  }
  return { ...reply, body: { ...body, claimRef: otherClaimRef() } };
}
