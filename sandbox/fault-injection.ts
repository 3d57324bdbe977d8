// Fault injection for the gateway's resilience tests: the next N requests to an insurer fail with a
// chosen status, optionally after hanging, or are merely slow (delayMs without a status), so retries,
// timeouts and budgets can be exercised for real.

/** Routes a fault rule can target. */
export const FAULT_OPERATIONS = ['Claim/$submit', 'CoverageEligibilityRequest/$submit', 'Coverage', 'ipm/claims', 'Communication'] as const;

/** A route a fault rule can target: one of the $submit operations, the Coverage search, the IPM API's claims (POST and GET), or a Communication posted. */
export type FaultOperation = (typeof FAULT_OPERATIONS)[number];

/** The routes a rule without an operation applies to: the FHIR $submit routes, as before other routes had faults. */
const DEFAULT_OPERATIONS: readonly FaultOperation[] = ['Claim/$submit', 'CoverageEligibilityRequest/$submit'];

/** Ways the IPM JSON API's 200 reply can be corrupted (operation 'ipm/claims' only). */
export const FAULT_REPLIES = ['unparseable', 'missing-fields', 'unknown-claim'] as const;

export type FaultReply = (typeof FAULT_REPLIES)[number];

/** One fault rule as set through POST /_control/faults. */
export interface FaultRule {
  /** Insurer id the rule applies to; undefined = every insurer. */
  readonly insurer?: string;
  /** Route the rule applies to; undefined = both $submit routes (not the Coverage search). */
  readonly operation?: FaultOperation;
  /** Error status to answer; undefined = answer normally after delayMs (a slow but correct insurer). */
  readonly status?: number;
  /** Requests still to fault. */
  readonly count: number;
  /** Delay before the faulty answer, to simulate a slow or hung insurer. */
  readonly hangMs?: number;
  /** Delay before the answer, added to hangMs; alone, the request is then handled normally. */
  readonly delayMs?: number;
  /** Handle the request normally, then corrupt the 200 reply this way (IPM JSON API only). */
  readonly reply?: FaultReply;
}

function applies(rule: FaultRule, insurerId: string, operation: FaultOperation): boolean {
  if (rule.insurer !== undefined && rule.insurer !== insurerId) {
    return false;
  }
  // Rules without an operation keep their meaning from before the Coverage search existed.
  return rule.operation === undefined ? DEFAULT_OPERATIONS.includes(operation) : rule.operation === operation;
}

/** The active fault rules of one sandbox server, used first-in first-out. */
export class FaultInjector {
  private rules: FaultRule[] = [];

  /** Adds a rule after the existing ones. */
  add(rule: FaultRule): void {
    this.rules.push(rule);
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** The rules still active, for display. */
  list(): readonly FaultRule[] {
    return [...this.rules];
  }

  /**
   * Consumes one request's worth of the first rule matching this insurer and route.
   * @returns the fault to serve, or undefined when the request should be handled normally.
   */
  take(insurerId: string, operation: FaultOperation): FaultRule | undefined {
    const index = this.rules.findIndex((r) => applies(r, insurerId, operation));
    const rule = this.rules[index];
    if (!rule) {
      return undefined;
    }
    if (rule.count <= 1) {
      this.rules.splice(index, 1);
    } else {
      this.rules[index] = { ...rule, count: rule.count - 1 };
    }
    return rule;
  }
}
