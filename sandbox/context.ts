// Everything one running sandbox shares between its routes: the registry (with its member changes) and
// clock from the options, and the in-memory state (stats, faults, idempotent answers, pended answers)
// the control API resets.
import type { Logger } from 'pino';
import type { ClaimAnswers } from './claim-answers.js';
import type { FaultInjector } from './fault-injection.js';
import type { FlatState } from './flat/flat-state.js';
import type { GatewayClient } from './gateway-client.js';
import type { IdempotencyStore } from './idempotency.js';
import type { OpenImisState } from './openimis/state.js';
import type { PendedAnswers } from './pended-answers.js';
import type { InsurerRegistry } from './registry.js';
import type { SandboxStats } from './stats.js';

/** The state and collaborators of one sandbox server. */
export interface SandboxContext {
  /** Insurers and members; `registry.overlay` holds the changes made through the control API. */
  readonly registry: InsurerRegistry;
  readonly now: () => Date;
  /** Ids of the resources the sandbox creates (random UUIDs). */
  readonly newId: () => string;
  readonly logger: Logger;
  readonly stats: SandboxStats;
  readonly faults: FaultInjector;
  readonly idempotency: IdempotencyStore;
  readonly pended: PendedAnswers;
  /** Latest answer per claim, for ClaimResponse searches. */
  readonly answers: ClaimAnswers;
  /** The insurer's client of the gateway, to post what it sends on its own (information requests, payments). */
  readonly gateway: (insurerId: string) => GatewayClient | undefined;
  /** Aborted when the sandbox closes, to cut injected hangs short. */
  readonly closing: AbortSignal;
  /** IPM answers, pended IPM claims and batch file counters of the flat-format faces (sandbox/flat/). */
  readonly flat: FlatState;
  /** Tokens and claims of the openIMIS face (sandbox/openimis/). */
  readonly openimis: OpenImisState;
}
