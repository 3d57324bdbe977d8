// The in-memory state of the flat-format faces, held in the sandbox context beside the FHIR face's:
// the IPM API's answers, the timers of its pended claims, and the batch exchange's file counters.
import type { Logger } from 'pino';
import { PendedAnswers } from '../pended-answers.js';
import { IpmClaims } from './ipm-claims.js';

/** Counters of the batch exchange, shown by GET /_control/stats. */
export interface BatchFileCounts {
  processed: number;
  rejected: number;
}

/** What the flat faces' state needs from the sandbox options. */
export interface FlatStateOptions {
  /** Delay before a pended IPM claim is decided (the sandbox's pendDelayMs). */
  readonly pendDelayMs: number;
  /** Whether the batch exchange runs (a batchDir was given); its counters exist only then. */
  readonly batch: boolean;
  readonly logger: Logger;
}

/** State of the IPM JSON API and the CSV batch exchange of one sandbox server. */
export class FlatState {
  readonly ipmClaims = new IpmClaims();
  /**
   * Pended IPM claims: the FHIR face's scheduler, but the final answer is only stored (the IPM API has
   * no callback: the gateway polls GET /claims/{claimRef}), never posted.
   */
  readonly ipmPended: PendedAnswers;
  /** Undefined when the batch exchange is off. */
  readonly batchFiles: BatchFileCounts | undefined;

  constructor(options: FlatStateOptions) {
    this.ipmPended = new PendedAnswers({
      delayMs: options.pendDelayMs,
      deliver: () => Promise.resolve(),
      onPosted: () => undefined,
      record: (insurerId, claimRef, response) => this.ipmClaims.settle(insurerId, claimRef, response),
      posting: () => false,
      logger: options.logger,
    });
    this.batchFiles = options.batch ? { processed: 0, rejected: 0 } : undefined;
  }

  /** The counters GET /_control/stats adds: `batchFiles` when the batch exchange is on, else nothing. */
  stats(): { batchFiles?: BatchFileCounts } {
    return this.batchFiles ? { batchFiles: { ...this.batchFiles } } : {};
  }

  /** POST /_control/reset: forgets IPM answers and zeroes the file counters. Scheduled decisions of forgotten claims are dropped. */
  reset(): void {
    this.ipmClaims.clear();
    if (this.batchFiles) {
      this.batchFiles.processed = 0;
      this.batchFiles.rejected = 0;
    }
  }

  /** Cancels pended IPM decisions. Safe to call twice. */
  close(): Promise<void> {
    return this.ipmPended.close();
  }
}
