/**
 * The HTTP app: every feature's router mounted in one readable block. No listen() here (tests drive the
 * exported app with supertest; the runtime listens).
 */
import express from 'express';
import { pinoHttp } from 'pino-http';
import type { RedisConnection } from './queue/redis.js';
import type { Logger } from './logger.js';
import type { Config } from './config.js';
import type { Database, Queryable } from './store/database.js';
import { tokenRouter } from './auth/router.js';
import { ClientKeySets } from './auth/client-assertion.js';
import { REPLY_JWS_HEADER, verifyReplySignature } from './auth/reply-signature.js';
import type { FhirRequest } from './http/fhir-handler.js';
import { jwksRouter } from './auth/jwks-router.js';
import type { SigningKeys } from './auth/signing-keys.js';
import type { EncryptionKey } from './auth/payload-encryption.js';
import type { ClientStore } from './auth/clients.js';
import { TokenService } from './auth/tokens.js';
import type { ParticipantRegistry } from './participants/registry.js';
import { claimRouter } from './claims/router.js';
import { eligibilityRouter } from './eligibility/router.js';
import { registryAdminRouter } from './eligibility/admin-router.js';
import type { LiveEligibility } from './eligibility/live-eligibility.js';
import type { MemberStore } from './eligibility/member-store.js';
import { REGISTRY_SYNC_QUEUE } from '../workers/jobs.js';
import type { EligibilityService } from './eligibility/eligibility-service.js';
import { operationsRouter } from './operations/router.js';
import { participantsRouter } from './operations/participants-router.js';
import { monitoringRouter } from './operations/monitoring-router.js';
import { consoleRouter } from './console/router.js';
import { ConsoleSessions } from './console/session.js';
import { QUEUE_BOARD_PATH, queueBoard } from './console/queue-board.js';
import type { AdapterRegistry } from '../mappings/index.js';
import type { ClaimRepository } from './claims/claim-repository.js';
import type { ClaimService } from './claims/claim-service.js';
import type { ExchangeService } from './exchanges/exchange-service.js';
import { exchangeRouter } from './exchanges/router.js';
import { Mailbox } from './exchanges/mailbox.js';
import { messagingRouter } from './messaging/router.js';
import { healthRouter } from './health/router.js';
import type { Registry } from 'prom-client';
import { httpMetrics, metricsRouter } from './metrics/router.js';
import { apiDocsRouter } from './api-docs/router.js';
import { AuditLog } from './audit/audit-log.js';
import { auditRouter } from './audit/router.js';
import type { QueueRegistry } from './queue/queues.js';
import { authenticate } from './http/authenticate.js';
import { errorHandler, unknownRoute } from './http/errors.js';
import { fhirJsonBody } from './http/fhir-body.js';
import { BodyBudget, defaultBodyBudget } from './http/body-budget.js';
import { IdempotencyStore } from './http/idempotency.js';
import type { ParticipantLimits } from './http/participant-limits.js';
import type { Conformance } from './validation/conformance.js';
import { conformanceRouter, validateRouter } from './validation/router.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  /** The read replica (DATABASE_READ_URL) for reads that tolerate its lag, or db. */
  readonly reads: Queryable;
  readonly redis: () => RedisConnection;
  readonly registry: ParticipantRegistry;
  readonly clients: ClientStore;
  readonly tokens: TokenService;
  readonly signingKeys: SigningKeys;
  readonly encryptionKey: EncryptionKey;
  readonly claims: ClaimService;
  readonly claimRepository: ClaimRepository;
  /** Information requests, their answers and payments about claims. */
  readonly exchanges: ExchangeService;
  readonly conformance: Conformance;
  readonly queues: QueueRegistry;
  readonly adapters: AdapterRegistry;
  readonly limits: ParticipantLimits;
  readonly eligibility: EligibilityService;
  readonly liveEligibility: LiveEligibility;
  readonly members: MemberStore;
  /** The metrics registry (metrics/router.ts gatewayMetrics), shared with what counts outside HTTP. */
  readonly metrics: Registry;
}

/** Builds the gateway's express app. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = deps.metrics;
  app.use(httpMetrics(metrics));
  app.use(pinoHttp({ logger: deps.logger, autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' } }));

  const body = fhirJsonBody({
    limitBytes: deps.config.bodyLimitBytes, maxDepth: deps.config.jsonMaxDepth, maxArrayLength: deps.config.jsonMaxArrayLength,
    decrypt: (jwe) => deps.encryptionKey.decrypt(jwe),
    budget: new BodyBudget(deps.config.bodyBudgetBytes ?? defaultBodyBudget(deps.config.bodyLimitBytes)),
  });
  const idempotency = new IdempotencyStore(deps.db);

  app.use(healthRouter({ db: deps.db, redis: deps.redis }));
  app.use(metricsRouter(metrics));
  app.use(jwksRouter(deps.signingKeys, deps.encryptionKey));
  app.use(apiDocsRouter(deps.config.publicBaseUrl, deps.config.defaultLanguage));
  const audit = new AuditLog(deps.db, deps.logger);
  const auditMiddleware = audit.middleware();
  app.use(['/fhir', '/admin', '/auth/token'], auditMiddleware);
  app.use('/console/session', (req, res, next) => (req.method === 'GET' ? next() : auditMiddleware(req, res, next))); // logins and logouts
  const keySets = new ClientKeySets(); // clients' public keys: token assertions and signed replies
  app.use(tokenRouter({
    ...deps, keySets, clientSecretsEnabled: deps.config.clientSecretsEnabled, publicBaseUrl: deps.config.publicBaseUrl,
    limitTokenRequests: (address) => deps.limits.consume(`token:${address}`, deps.config.limits.tokenRequestsPerMinute),
  }));
  app.use(conformanceRouter({ conformance: deps.conformance, publicBaseUrl: deps.config.publicBaseUrl, defaultLanguage: deps.config.defaultLanguage }));
  // Operator console: its session cookie is accepted on /admin only (never on the FHIR API).
  const sessions = new ConsoleSessions((ttl) => TokenService.open(deps.db, ttl), deps.db, deps.config.publicBaseUrl?.startsWith('https:') ?? false);
  app.use(consoleRouter({
    sessions, clients: deps.clients, registry: deps.registry, clientSecretsEnabled: deps.config.clientSecretsEnabled,
    limitLogins: (address) => deps.limits.consume(`console-login:${address}`, deps.config.limits.tokenRequestsPerMinute),
  }));
  app.use('/fhir', authenticate(deps.tokens, deps.registry), deps.limits.middleware());
  app.use('/admin', authenticate(deps.tokens, deps.registry, sessions), deps.limits.middleware());
  const board = queueBoard(deps.queues, deps.registry);
  app.use(QUEUE_BOARD_PATH, (req, res, next) => board(req, res, next)); // a plain function: its routes are bull-board's, not the API's
  const verifyReply = (req: FhirRequest) => verifyReplySignature(req.caller.clientId, req.rawBody ?? Buffer.alloc(0), req.header(REPLY_JWS_HEADER), { clients: deps.clients, keySets });
  const claimDeps = { service: deps.claims, conformance: deps.conformance, registry: deps.registry, defaultLanguage: deps.config.defaultLanguage, idempotency, publicBaseUrl: deps.config.publicBaseUrl, body, verifyReply };
  const mailbox = new Mailbox(deps.db);
  app.use(claimRouter(claimDeps));
  app.use(exchangeRouter({ service: deps.exchanges, mailbox, defaultLanguage: deps.config.defaultLanguage, idempotency, publicBaseUrl: deps.config.publicBaseUrl, body }));
  app.use(messagingRouter({ claims: claimDeps, eligibility: deps.eligibility, exchanges: deps.exchanges, mailbox, defaultLanguage: deps.config.defaultLanguage, idempotency, publicBaseUrl: deps.config.publicBaseUrl, body }));
  app.use(eligibilityRouter({ service: deps.eligibility, defaultLanguage: deps.config.defaultLanguage, idempotency, publicBaseUrl: deps.config.publicBaseUrl, body }));
  app.use(validateRouter({ conformance: deps.conformance, registry: deps.registry, idempotency, defaultLanguage: deps.config.defaultLanguage, publicBaseUrl: deps.config.publicBaseUrl, body }));
  app.use(participantsRouter({
    registry: deps.registry, clients: deps.clients, idempotency, clientSecretsEnabled: deps.config.clientSecretsEnabled, publicBaseUrl: deps.config.publicBaseUrl,
    checkAdapter: (registration) => deps.adapters.check(registration),
    checkPacks: (schedule) => {
      const unknown = deps.conformance.catalogue.unknownEntries(schedule);
      if (unknown.length > 0) {
        const published = deps.conformance.catalogue.versions.map((v) => `${v.pack}@${v.version}`).join(', ');
        throw new Error(`No published pack ${unknown.map((e) => `${e.pack}@${e.version}`).join(', ')} (published: ${published})`);
      }
    },
  }, body));
  app.use(registryAdminRouter({
    registry: deps.registry, members: deps.members, live: deps.liveEligibility, syncQueue: () => deps.queues.get(REGISTRY_SYNC_QUEUE),
    idempotency, publicBaseUrl: deps.config.publicBaseUrl, defaultLanguage: deps.config.defaultLanguage,
  }));
  app.use(auditRouter({ audit, idempotency, publicBaseUrl: deps.config.publicBaseUrl }));
  app.use(monitoringRouter({
    db: deps.db, reads: deps.reads, queues: deps.queues, registry: deps.registry, idempotency, publicBaseUrl: deps.config.publicBaseUrl,
    eligibilityCircuit: (insurerId) => deps.liveEligibility.circuitState(insurerId),
  }));
  app.use(operationsRouter({ service: deps.claims, claims: deps.claimRepository, idempotency, publicBaseUrl: deps.config.publicBaseUrl }, body));

  app.use(unknownRoute);
  app.use(errorHandler(deps.logger, deps.config.defaultLanguage));
  return app;
}
