// Fault injection for the gateway's resilience tests: the next N $submit requests to an insurer fail
// with a chosen status, optionally after hanging, so retries and timeouts can be exercised for real.

/** One fault rule as set through POST /_control/faults. */
export interface FaultRule {
  /** Insurer id the rule applies to; undefined = every insurer. */
  readonly insurer?: string;
  readonly status: number;
  /** Requests still to fault. */
  readonly count: number;
  /** Delay before the faulty answer, to simulate a slow or hung insurer. */
  readonly hangMs?: number;
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
   * Consumes one request's worth of the first rule matching this insurer.
   * @returns the fault to serve, or undefined when the request should be handled normally.
   */
  take(insurerId: string): FaultRule | undefined {
    const index = this.rules.findIndex((r) => r.insurer === undefined || r.insurer === insurerId);
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
