/**
 * One typed configuration, read from the environment and validated at start. Every problem is reported
 * at once, in every mode: there are no checks that switch off in production.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const boolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();

const envSchema = z.object({
  PASSERELLE_MODE: z.enum(['demo', 'production']).default('demo'),
  PASSERELLE_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  PUBLIC_BASE_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATABASE_POOL_SIZE: positive.max(1000).default(10),
  // A read replica (hot standby) of DATABASE_URL for the operators' heavy reads (transaction log, insurer health, metrics).
  DATABASE_READ_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  REDIS_URL: z.string().regex(/^(rediss?|redis\+sentinel|redis\+cluster):\/\//, 'must be a redis://, rediss://, redis+sentinel:// or redis+cluster:// URL').optional(),
  // A hash tag ({...}) keeps each queue's keys in one slot of a Redis Cluster, as BullMQ requires there.
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*(\{[A-Za-z0-9_-]+\})?[A-Za-z0-9_-]*$/, 'letters, digits, - and _, with at most one hash tag {...}').min(1).optional(),
  SEED_FILE: z.string().optional(),
  TOKEN_TTL_SECONDS: positive.max(300).default(300),
  CLIENT_SECRETS_ENABLED: boolean.optional(),
  BODY_LIMIT_BYTES: positive.default(10 * 1024 * 1024),
  BODY_BUDGET_BYTES: positive.optional(),
  RATE_LIMIT_PER_MINUTE: positive.default(6000),
  TOKEN_RATE_LIMIT_PER_MINUTE: positive.default(120),
  MAX_BUNDLE_ENTRIES: positive.max(100_000).default(1000),
  JSON_MAX_DEPTH: positive.max(1000).default(64),
  JSON_MAX_ARRAY_LENGTH: positive.max(100_000).default(1000),
  DELIVERY_ATTEMPTS: positive.max(100).default(10),
  DELIVERY_BACKOFF_MS: positive.default(2000),
  DELIVERY_TIMEOUT_MS: positive.default(15000),
  DELIVERY_CONCURRENCY: positive.max(1000).default(20),
  CIRCUIT_FAILURE_THRESHOLD: positive.max(1000).default(5),
  CIRCUIT_COOLDOWN_MS: positive.default(5000),
  CIRCUIT_MAX_COOLDOWN_MS: positive.default(300_000),
  CALLBACK_ATTEMPTS: positive.max(100).default(10),
  CALLBACK_BACKOFF_MS: positive.default(2000),
  OUTBOX_RELAY_INTERVAL_MS: positive.default(2000),
  DELIVERY_SWEEP_AFTER_MS: positive.default(120_000),
  ANSWER_DEADLINE_MS: positive.default(86_400_000),
  PENDED_POLL_AFTER_MS: positive.default(300_000),
  CLAIM_WATCH_INTERVAL_MS: positive.default(30_000),
  RETENTION_DAYS: positive.max(36_500).optional(),
  RETENTION_INTERVAL_MS: positive.default(3_600_000),
  IDEMPOTENCY_KEY_TTL_HOURS: positive.max(8760).default(168),
  ELIGIBILITY_BUDGET_MS: positive.max(60_000).default(2000),
  ELIGIBILITY_ATTEMPTS: positive.max(100).default(5),
  ELIGIBILITY_BACKOFF_MS: positive.default(2000),
  SANDBOX_PORT: port.default(8081),
  SANDBOX_PEND_DELAY_MS: z.coerce.number().int().min(0).default(2000),
  /** Language of messages (OperationOutcome texts) when the request's Accept-Language names neither French nor English. */
  DEFAULT_LANGUAGE: z.enum(['en', 'fr']).default('en'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: boolean.default(false),
});

export type Role = 'all' | 'api' | 'worker';

/** The validated configuration every module receives. */
export interface Config {
  readonly mode: 'demo' | 'production';
  readonly role: Role;
  readonly host: string;
  readonly port: number;
  readonly publicBaseUrl?: string;
  readonly dataDir: string;
  readonly databaseUrl?: string;
  /** PostgreSQL connections this process may open at once (DATABASE_POOL_SIZE), to the primary and to the replica each. */
  readonly databasePoolSize: number;
  /** A read replica for the reads that tolerate its lag (DATABASE_READ_URL); unset: everything reads the primary. */
  readonly databaseReadUrl?: string;
  readonly redisUrl?: string;
  /** Unset: passerelle-{deployment id}, so deployments sharing a Redis never share queues. */
  readonly queuePrefix?: string;
  readonly seedFile?: string;
  readonly tokenTtlSeconds: number;
  /** Client secrets (client_secret_post/basic) accepted besides private_key_jwt; default: in demo mode only. */
  readonly clientSecretsEnabled: boolean;
  readonly bodyLimitBytes: number;
  /** Bytes of request bodies handled at once (http/body-budget.ts); default: a twelfth of the heap limit. */
  readonly bodyBudgetBytes?: number;
  /** Default per-participant limits (a participant's registry entry may set its own). */
  readonly limits: { readonly requestsPerMinute: number; readonly maxBundleEntries: number; readonly tokenRequestsPerMinute: number };
  readonly jsonMaxDepth: number;
  readonly jsonMaxArrayLength: number;
  readonly delivery: { readonly attempts: number; readonly backoffMs: number; readonly timeoutMs: number; readonly concurrency: number };
  readonly circuit: { readonly failureThreshold: number; readonly cooldownMs: number; readonly maxCooldownMs: number };
  readonly callbacks: { readonly attempts: number; readonly backoffMs: number };
  readonly outboxRelayIntervalMs: number;
  /** A claim deliverable for longer than this gets its delivery job added again (workers/delivery-sweeper.ts). */
  readonly deliverySweepAfterMs: number;
  /** Claim watch (workers/claim-watch.ts): default answer deadline, pended poll delay, pass interval. */
  readonly watch: { readonly answerDeadlineMs: number; readonly pendedPollAfterMs: number; readonly intervalMs: number };
  /** Retention (workers/retention.ts): unset days keeps everything. */
  readonly retention: { readonly days?: number; readonly intervalMs: number; readonly idempotencyTtlHours: number };
  /** Eligibility: the answer budget (past it: 202 "queued"), and the retries of queued checks. */
  readonly eligibility: { readonly budgetMs: number; readonly attempts: number; readonly backoffMs: number };
  readonly sandbox: { readonly port: number; readonly pendDelayMs: number };
  readonly logLevel: string;
  readonly defaultLanguage: 'en' | 'fr';
}

/** Thrown when the environment does not describe a configuration that can run; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.PASSERELLE_ROLE !== 'all' && !e.DATABASE_URL) {
    problems.push(`PASSERELLE_ROLE=${e.PASSERELLE_ROLE} needs DATABASE_URL: the embedded database serves one process only`);
  }
  if (e.DATABASE_READ_URL && !e.DATABASE_URL) {
    problems.push('DATABASE_READ_URL names a replica of DATABASE_URL: set DATABASE_URL too (the embedded database has no replicas)');
  }
  if (e.PASSERELLE_MODE === 'production' && !e.SEED_FILE && !e.DATABASE_URL) {
    problems.push('production mode needs participants: set DATABASE_URL to a registry database or SEED_FILE to a seed file');
  }
  if (e.REDIS_URL?.startsWith('redis+cluster://') && !/\{[A-Za-z0-9_-]+\}/.test(e.QUEUE_PREFIX ?? '')) {
    problems.push('a Redis Cluster (REDIS_URL redis+cluster://) needs QUEUE_PREFIX with a hash tag, e.g. {passerelle}, so that each queue\'s keys share a slot');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    mode: e.PASSERELLE_MODE,
    role: e.PASSERELLE_ROLE,
    host: e.HOST,
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/$/, ''),
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseReadUrl: e.DATABASE_READ_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    seedFile: e.SEED_FILE ? resolve(e.SEED_FILE) : undefined,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    clientSecretsEnabled: e.CLIENT_SECRETS_ENABLED ?? e.PASSERELLE_MODE === 'demo',
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    bodyBudgetBytes: e.BODY_BUDGET_BYTES,
    limits: { requestsPerMinute: e.RATE_LIMIT_PER_MINUTE, maxBundleEntries: e.MAX_BUNDLE_ENTRIES, tokenRequestsPerMinute: e.TOKEN_RATE_LIMIT_PER_MINUTE },
    jsonMaxDepth: e.JSON_MAX_DEPTH,
    jsonMaxArrayLength: e.JSON_MAX_ARRAY_LENGTH,
    delivery: { attempts: e.DELIVERY_ATTEMPTS, backoffMs: e.DELIVERY_BACKOFF_MS, timeoutMs: e.DELIVERY_TIMEOUT_MS, concurrency: e.DELIVERY_CONCURRENCY },
    callbacks: { attempts: e.CALLBACK_ATTEMPTS, backoffMs: e.CALLBACK_BACKOFF_MS },
    circuit: { failureThreshold: e.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: e.CIRCUIT_COOLDOWN_MS, maxCooldownMs: e.CIRCUIT_MAX_COOLDOWN_MS },
    outboxRelayIntervalMs: e.OUTBOX_RELAY_INTERVAL_MS,
    deliverySweepAfterMs: e.DELIVERY_SWEEP_AFTER_MS,
    watch: { answerDeadlineMs: e.ANSWER_DEADLINE_MS, pendedPollAfterMs: e.PENDED_POLL_AFTER_MS, intervalMs: e.CLAIM_WATCH_INTERVAL_MS },
    retention: { days: e.RETENTION_DAYS, intervalMs: e.RETENTION_INTERVAL_MS, idempotencyTtlHours: e.IDEMPOTENCY_KEY_TTL_HOURS },
    eligibility: { budgetMs: e.ELIGIBILITY_BUDGET_MS, attempts: e.ELIGIBILITY_ATTEMPTS, backoffMs: e.ELIGIBILITY_BACKOFF_MS },
    sandbox: { port: e.SANDBOX_PORT, pendDelayMs: e.SANDBOX_PEND_DELAY_MS },
    logLevel: e.LOG_LEVEL,
    defaultLanguage: e.DEFAULT_LANGUAGE,
  };
}
