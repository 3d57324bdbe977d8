/**
 * Composes a running Passerelle from a configuration: store, Redis, registry, HTTP API and workers, as
 * the role asks, plus the sandbox insurer and its participants in demo mode. One function starts it;
 * close() shuts it down in order (HTTP, workers, queues, sandbox, Redis, database), every step running
 * even if one fails, within a deadline, and is safe to call twice.
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, openReadReplica, type Database, type Queryable } from './store/database.js';
import { migrate } from './store/migrate.js';
import { deploymentSetting } from './store/settings.js';
import { openRedis, REQUEST_PATH_COMMAND_TIMEOUT_MS, type RedisHandle } from './queue/redis.js';
import { QueueRegistry } from './queue/queues.js';
import { OutboxDispatcher } from './queue/outbox.js';
import { ParticipantRegistry, type Participant } from './participants/registry.js';
import { applySeed, readSeedFile } from './participants/seed.js';
import { ClientStore } from './auth/clients.js';
import { TokenService } from './auth/tokens.js';
import { SigningKeys } from './auth/signing-keys.js';
import { EncryptionKey } from './auth/payload-encryption.js';
import { ClaimRepository } from './claims/claim-repository.js';
import { ClaimService } from './claims/claim-service.js';
import { Conformance } from './validation/conformance.js';
import type { InsurerRegistration } from '../mappings/index.js';
import { ParticipantLimits } from './http/participant-limits.js';
import { conformanceValidator, countingFailures, type ResourceValidator } from './validation/validators.js';
import { createApp } from './app.js';
import { countEligibilityCache, countValidationFailure, gatewayMetrics } from './metrics/router.js';
import { defaultAdapters, type AdapterRegistry } from '../mappings/index.js';
import { startWorkers, type WorkerHost } from '../workers/index.js';
import { syncRegistry } from '../workers/registry-sync.js';
import { CALLBACK_QUEUE, ELIGIBILITY_QUEUE, INSURER_EXCHANGE_QUEUE, INSURER_POLL_QUEUE, REGISTRY_SYNC_QUEUE } from '../workers/jobs.js';
import { ExchangeRepository } from './exchanges/exchange-repository.js';
import { ExchangeService } from './exchanges/exchange-service.js';
import { EligibilityRepository } from './eligibility/eligibility-repository.js';
import { EligibilityService } from './eligibility/eligibility-service.js';
import { LiveEligibility } from './eligibility/live-eligibility.js';
import { MemberStore } from './eligibility/member-store.js';
import { claimEligibilityIssues } from './eligibility/claim-eligibility.js';
import { claimMappingIssues } from './claims/claim-mapping.js';
import { gatewayError } from './fhir/outcomes.js';
import { pollPendedClaim } from '../workers/insurer-poll.js';
import { DELIVERY_BACKOFF_TYPE } from '../workers/claim-delivery.js';
import { startSandbox, type SandboxHandle } from '../sandbox/server.js';
import { provideDemoCredentials } from './demo/demo-credentials.js';

const SHUTDOWN_DEADLINE_MS = 20_000;
/** A shutdown step taking this long is logged, so an operator sees which one holds a stop up. */
const SLOW_SHUTDOWN_STEP_MS = 2_000;

/** A running gateway. */
export interface Passerelle {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly redis: RedisHandle;
  readonly queues: QueueRegistry;
  /** Base URL of the HTTP API when this process serves it. */
  readonly url?: string;
  /** The HTTP app when this process serves it (tests read its routes). */
  readonly app?: ReturnType<typeof createApp>;
  readonly sandbox?: SandboxHandle;
  close(): Promise<void>;
}

/** Things tests and embedders may supply instead of the defaults. */
export interface StartOptions {
  readonly logger?: Logger;
  readonly adapters?: AdapterRegistry;
  /** Demo mode: options passed to the sandbox insurer (e.g. control: true, pendDelayMs). */
  readonly sandbox?: { readonly control?: boolean; readonly pendDelayMs?: number };
}

/** Starts Passerelle as the configuration says. */
export async function startPasserelle(config: Config, options: StartOptions = {}): Promise<Passerelle> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const steps: Array<[string, () => Promise<unknown>]> = [];
  const close = shutdown(steps, logger);
  try {
    const db = await openDatabase(config);
    steps.push(['database', () => db.close()]);
    const applied = await migrate(db);
    logger.info({ store: db.kind, applied }, 'database ready');
    let reads: Queryable = db;
    if (config.databaseReadUrl) {
      const replica = openReadReplica(config.databaseReadUrl, config.databasePoolSize, db, {
        unavailable: (err) => logger.warn({ err: { message: err.message } }, 'the read replica (DATABASE_READ_URL) does not answer: its reads go to the primary'),
        recovered: () => logger.info('the read replica (DATABASE_READ_URL) answers again'),
      });
      steps.push(['read replica', () => replica.close()]);
      reads = replica;
    }
    const redis = await openRedis({ redisUrl: config.redisUrl, dataDir: config.dataDir, logger });
    steps.push(['redis', () => redis.close()]);
    const prefix = config.queuePrefix ?? `passerelle-${await deploymentSetting(db, 'deployment-id', () => randomBytes(4).toString('hex'))}`;
    const queues = new QueueRegistry(redis, prefix, (name) => jobOptions(config, name));
    steps.push(['queues', () => queues.close()]);

    const signingKeys = await SigningKeys.open(db);
    const encryptionKey = await EncryptionKey.open(db);
    const registry = new ParticipantRegistry(db);
    const clients = new ClientStore(db);
    const claims = new ClaimRepository(db);
    const outbox = new OutboxDispatcher(db, queues, logger);
    steps.push(['outbox', () => outbox.idle()]);
    // Validation runs on the request path only: worker-only processes do not load the definitions.
    const conformance = config.role !== 'worker' ? await Conformance.load() : undefined;
    // Metrics are served by the API role: worker-only processes keep none.
    const metrics = config.role !== 'worker' ? gatewayMetrics({ db: reads, queues, registry }) : undefined;
    const validators: ResourceValidator[] = conformance && metrics ? countingFailures([conformanceValidator(conformance)], (rule) => countValidationFailure(metrics, rule))
      : [{ name: 'not-in-worker-role', validate: () => { throw new Error('validation runs in the API role'); } }];
    const limits = new ParticipantLimits(() => redis.producerConnection({ commandTimeoutMs: REQUEST_PATH_COMMAND_TIMEOUT_MS }), prefix, { requestsPerMinute: config.limits.requestsPerMinute, maxBundleEntries: config.limits.maxBundleEntries, maxBodyBytes: config.bodyLimitBytes }, registry);
    const adapters = options.adapters ?? defaultAdapters({ timeoutMs: config.delivery.timeoutMs });
    const packsFor = (insurer: Participant | undefined) => conformance?.packsInForce(insurer?.profilePacks) ?? [];
    const eligibilityRequests = new EligibilityRepository(db);
    const members = new MemberStore(db);
    let cacheConnection: ReturnType<RedisHandle['cacheConnection']> | undefined;
    const live = new LiveEligibility({
      adapters, redis: () => (cacheConnection ??= redis.cacheConnection()), prefix, circuit: config.circuit, logger,
      ...(metrics ? { onCache: (insurerId: string, hit: boolean) => countEligibilityCache(metrics, insurerId, hit) } : {}),
    });
    const eligibility = new EligibilityService({
      repository: eligibilityRequests, members, live, registry, validators, outbox, logger,
      maxBundleEntries: (id) => limits.maxBundleEntries(id), packsFor, budgetMs: config.eligibility.budgetMs,
    });
    const service: ClaimService = new ClaimService({ claims, registry, validators, outbox, logger, maxBundleEntries: (id) => limits.maxBundleEntries(id), packsFor,
      askInsurer: async (claim) => {
        const insurer = await registry.get(claim.insurerId);
        return insurer ? pollPendedClaim(claim, insurer, adapters.get(insurer.adapter), { service, logger }) : false;
      },
      cancelAtInsurer: async (claim) => {
        const insurer = await registry.get(claim.insurerId);
        const adapter = insurer ? adapters.get(insurer.adapter) : undefined;
        if (!insurer || !adapter?.cancelClaim || !claim.bundle) return undefined;
        try {
          return await adapter.cancelClaim({ claimId: claim.id, insurerId: insurer.id, settings: insurer.adapterSettings, bundle: claim.bundle, insurerReference: claim.insurerReference });
        } catch (err) {
          logger.warn({ claimId: claim.id, insurer: insurer.id, err: { message: (err as Error).message } }, 'cancellation not answered by the insurer');
          throw gatewayError('insurer-unavailable', { en: 'The insurer did not answer the cancellation; the claim stays as it was. Try again later', fr: 'L\'assureur n\'a pas répondu à l\'annulation ; la demande reste telle quelle. Réessayez plus tard' });
        }
      },
      checkEligibility: (accepted) => claimEligibilityIssues(accepted, { registry, eligibility }),
      checkMapping: (accepted) => claimMappingIssues(accepted, adapters, registry) });
    const exchangeRepository = new ExchangeRepository(db);
    const exchanges = new ExchangeService({
      exchanges: exchangeRepository, claims, registry, outbox, logger,
      validate: (resource, insurer, language) => conformance!.validate(resource, { expression: String(resource.resourceType), language, packs: packsFor(insurer) }),
      pushesToInsurer: (insurer) => Boolean(adapters.get(insurer.adapter)?.sendExchange),
    });
    const seed = { registry, clients, checkAdapter: (registration: InsurerRegistration) => adapters.check(registration) };
    if (config.seedFile) await applySeed(readSeedFile(config.seedFile, {}, config.mode === 'demo'), seed);

    let url: string | undefined;
    let httpApp: ReturnType<typeof createApp> | undefined;
    let sandbox: SandboxHandle | undefined;
    if (config.role !== 'worker') {
      const tokens = await TokenService.open(db, config.tokenTtlSeconds);
      const probe = redis.producerConnection();
      const app = createApp({ config, logger, db, reads, redis: () => probe, registry, clients, tokens, signingKeys, encryptionKey, claims: service, claimRepository: claims, exchanges, conformance: conformance!, queues, adapters, limits, eligibility, liveEligibility: live, members, metrics: metrics! });
      httpApp = app;
      const server = await listen(app, config.port, config.host);
      steps.push(['http', () => stopServer(server)]);
      url = config.publicBaseUrl ?? `http://${config.host}:${(server.address() as AddressInfo).port}`;
      if (config.mode === 'demo') {
        // The demo's batch insurer exchanges files with the sandbox in the data folder.
        const batchDir = join(config.dataDir, 'demo-batch-exchange');
        sandbox = await startSandbox({
          port: config.sandbox.port, gatewayUrl: url, logger: logger.child({ component: 'sandbox' }), pendDelayMs: options.sandbox?.pendDelayMs ?? config.sandbox.pendDelayMs,
          control: options.sandbox?.control ?? true, batchDir,
        });
        steps.push(['sandbox', () => sandbox!.close()]);
        provideDemoCredentials();
        await applySeed(readSeedFile(demoSeedPath(), { sandboxUrl: sandbox.url, batchDir }), seed);
        // Synced registries are pulled once now, so the demo's claims and eligibility work from the first request.
        for (const insurer of await registry.insurers()) {
          if (insurer.eligibility?.mode !== 'synced' || !insurer.eligibility.syncIntervalMinutes) continue;
          await syncRegistry(insurer.id, { db, registry, adapters, logger })
            .catch((err: Error) => logger.warn({ insurer: insurer.id, err: { message: err.message } }, 'demo mode: first registry sync failed'));
        }
        logger.info({ sandbox: sandbox.url }, 'demo mode: sandbox insurer started and demo participants registered');
      }
    }
    if (config.role !== 'api') {
      const workers: WorkerHost = await startWorkers({
        claims, service, registry, adapters, logger, redis, prefix, signingKeys, clients, concurrency: config.delivery.concurrency,
        outbox, relayIntervalMs: config.outboxRelayIntervalMs, timeoutMs: config.delivery.timeoutMs, backoffMs: config.delivery.backoffMs,
        db, queues, sweepAfterMs: config.deliverySweepAfterMs, circuit: config.circuit, watch: config.watch, retention: config.retention,
        eligibility, eligibilityRequests, exchanges: exchangeRepository,
      });
      steps.push(['workers', () => workers.close()]);
    }
    logger.info({ role: config.role, mode: config.mode, url, redis: redis.private ? 'private' : 'external', queuePrefix: prefix }, 'Passerelle started');
    return { config, logger, db, redis, queues, url, app: httpApp, sandbox, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Job options by queue: the retry policies written down in workers/claim-delivery.ts and provider-callback.ts. */
function jobOptions(config: Config, queue: string) {
  if (queue === ELIGIBILITY_QUEUE) {
    const { attempts, backoffMs } = config.eligibility;
    return { attempts, backoff: { type: 'exponential' as const, delay: backoffMs }, removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 30 * 24 * 3600 } };
  }
  if (queue === REGISTRY_SYNC_QUEUE || queue === INSURER_POLL_QUEUE) return { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };
  if (queue === INSURER_EXCHANGE_QUEUE) {
    const { attempts, backoffMs } = config.delivery;
    return { attempts, backoff: { type: 'exponential' as const, delay: backoffMs }, removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 30 * 24 * 3600 } };
  }
  const callbacks = queue === CALLBACK_QUEUE;
  const policy = callbacks ? config.callbacks : config.delivery;
  return {
    attempts: policy.attempts,
    backoff: callbacks ? { type: 'exponential' as const, delay: policy.backoffMs } : { type: DELIVERY_BACKOFF_TYPE },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

function demoSeedPath(): string {
  return fileURLToPath(new URL('./demo/seed/demo-participants.json', import.meta.url));
}

/** Slow senders get this long for headers, and for a whole request; idle keep-alive sockets close sooner. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

function listen(app: ReturnType<typeof createApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

async function stopServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), 5000);
  await closed;
  clearTimeout(timer);
}

/**
 * Shutdown order: no new requests, then workers finish their jobs in progress (a delivery to the
 * demo sandbox included, hence the sandbox after them), then the outbox's dispatches in flight (accepted
 * claims answered before their job reached Redis), then queues, Redis, and the database last.
 */
const SHUTDOWN_ORDER = ['http', 'workers', 'sandbox', 'outbox', 'queues', 'redis', 'database'];

/** Runs the steps registered so far in SHUTDOWN_ORDER, each even if another fails, within the deadline. */
function shutdown(steps: Array<[string, () => Promise<unknown>]>, logger: Logger): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= (async () => {
    const ordered = [...steps].sort(([a], [b]) => SHUTDOWN_ORDER.indexOf(a) - SHUTDOWN_ORDER.indexOf(b));
    let current: string | undefined;
    const run = (async () => {
      for (const [name, step] of ordered) {
        current = name;
        const started = Date.now();
        try {
          await step();
        } catch (err) {
          logger.error({ step: name, err: { message: (err as Error).message } }, 'shutdown step failed');
        }
        const tookMs = Date.now() - started;
        if (tookMs >= SLOW_SHUTDOWN_STEP_MS) logger.warn({ step: name, tookMs }, 'shutdown step was slow');
      }
      current = undefined;
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS, step: current }, 'shutdown deadline passed');
      resolve();
    }, SHUTDOWN_DEADLINE_MS)));
    await Promise.race([run, deadline]);
    clearTimeout(timer);
  })());
}
