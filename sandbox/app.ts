// Builds one sandbox insurer server: its state, then its Express app with every route in one block.
import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { pino, type Logger } from 'pino';
import type { SandboxContext } from './context.js';
import { controlRouter } from './control-routes.js';
import { FaultInjector } from './fault-injection.js';
import { BatchExchange } from './flat/batch-exchange.js';
import { FlatState } from './flat/flat-state.js';
import { ipmRouter } from './flat/ipm-routes.js';
import { exportRouter } from './export-routes.js';
import { errorHandler, JSON_MEDIA_TYPES, unknownRoute } from './fhir-http.js';
import { DEFAULT_DELIVERY_POLICY, GatewayClient, type DeliveryPolicy } from './gateway-client.js';
import { IdempotencyStore } from './idempotency.js';
import { insurerRouter } from './insurer-routes.js';
import { PendedAnswers } from './pended-answers.js';
import { ClaimAnswers } from './claim-answers.js';
import { InsurerRegistry } from './registry.js';
import { openImisRouter } from './openimis/routes.js';
import { OpenImisState } from './openimis/state.js';
import { defaultSeedFile, loadSeedFile, parseSeed, type SandboxSeed, type SandboxSeedInput } from './seed.js';
import { SandboxStats } from './stats.js';

/** Options of the sandbox app (server.ts adds where to listen). */
export interface SandboxAppOptions {
  /** Seed object; wins over seedFile. Validated like a file. */
  readonly seed?: SandboxSeedInput;
  /** Seed file path; default sandbox/seed/demo-insurers.json. */
  readonly seedFile?: string;
  /** Clock; default () => new Date(). Coverage years, `created` dates and lastUpdated stamps follow it. */
  readonly now?: () => Date;
  /** Gateway base URL for later answers to pended claims; default http://127.0.0.1:8080. */
  readonly gatewayUrl?: string;
  /** Delay before a pended claim's final answer is posted; default 2000 ms. */
  readonly pendDelayMs?: number;
  /** Mount the /_control API; default false (its routes then answer 404). */
  readonly control?: boolean;
  /** Logger; default pino at level info. */
  readonly logger?: Logger;
  /** Retry policy for posting answers to the gateway; default 5 attempts, 500 ms doubling, 10 s timeout. */
  readonly delivery?: Partial<DeliveryPolicy>;
  /** Folder of the CSV batch exchange (<batchDir>/<insurerId>/claims/ and replies/); unset = the exchange is off. */
  readonly batchDir?: string;
  /** How often the batch exchange looks for claim files; default 1000 ms. */
  readonly batchPollMs?: number;
}

/** A built sandbox app, not yet listening. */
export interface SandboxApp {
  readonly app: Express;
  readonly context: SandboxContext;
  /** Cancels pended answers, deliveries in flight and injected hangs. Safe to call twice. */
  close(): Promise<void>;
}

function resolveSeed(options: SandboxAppOptions): SandboxSeed {
  return options.seed ? parseSeed(options.seed) : loadSeedFile(options.seedFile ?? defaultSeedFile());
}

function createContext(options: SandboxAppOptions, closing: AbortController): SandboxContext {
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? pino({ name: 'passerelle-sandbox' });
  const registry = new InsurerRegistry(resolveSeed(options), now);
  const policy = { ...DEFAULT_DELIVERY_POLICY, ...options.delivery };
  const gatewayUrl = options.gatewayUrl ?? 'http://127.0.0.1:8080';
  const clients = new Map(
    registry.list().map((i) => [i.id, new GatewayClient({ gatewayUrl, ...i.gatewayClient, policy, logger })]),
  );
  const stats = new SandboxStats();
  const answers = new ClaimAnswers();
  const pended = new PendedAnswers({
    delayMs: options.pendDelayMs ?? 2000,
    deliver: async (insurerId, response, signal) => {
      const client = clients.get(insurerId);
      if (!client) {
        throw new Error(`no gateway client for insurer ${insurerId}`);
      }
      await client.postClaimResponse(response, signal);
    },
    requestInformation: async (insurerId, request, signal) => {
      const client = clients.get(insurerId);
      if (!client) {
        throw new Error(`no gateway client for insurer ${insurerId}`);
      }
      await client.post(request, `sandbox-communication-request-${request.id ?? 'unknown'}`, signal);
    },
    onPosted: () => stats.countPendedAnswerPosted(),
    record: (insurerId, claimId, response) => answers.record(insurerId, claimId, response),
    posting: () => answers.postPended,
    logger,
  });
  return {
    registry,
    now,
    logger,
    stats,
    pended,
    answers,
    newId: randomUUID,
    gateway: (insurerId) => clients.get(insurerId),
    faults: new FaultInjector(),
    idempotency: new IdempotencyStore(),
    closing: closing.signal,
    flat: new FlatState({ pendDelayMs: options.pendDelayMs ?? 2000, batch: Boolean(options.batchDir), logger }),
    openimis: new OpenImisState(),
  };
}

function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    // Read now: routers rewrite req.path. Method, path and status only: bodies, query strings and
    // headers may hold patient data or secrets.
    const { method, path } = req;
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method, path, status: res.statusCode, ms: Math.round(ms) }, 'request');
    });
    next();
  };
}

/**
 * Builds the sandbox insurer's Express app and state. Throws when the seed is invalid.
 */
export function createSandboxApp(options: SandboxAppOptions = {}): SandboxApp {
  const closing = new AbortController();
  const context = createContext(options, closing);
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(context.logger));
  // Before the FHIR body parser: the IPM JSON API reads its own bodies and words its own errors.
  app.use('/:insurerId/ipm/v1', ipmRouter(context));
  app.use(express.json({ type: JSON_MEDIA_TYPES, limit: '2mb' }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (options.control) {
    app.use('/_control', controlRouter(context));
  }
  app.use('/:insurerId/fhir', insurerRouter(context));
  app.use('/:insurerId/export', exportRouter(context));
  app.use('/:insurerId/api/api_fhir_r4', openImisRouter(context));
  app.use(unknownRoute);
  app.use(errorHandler(context.logger));
  // Last: a batch folder that cannot be created stops start-up before any timer runs.
  const batch = options.batchDir ? new BatchExchange(context, { dir: options.batchDir, pollMs: options.batchPollMs ?? 1000 }) : undefined;
  batch?.start();
  return {
    app,
    context,
    close: async () => {
      closing.abort();
      await context.pended.close();
      await context.flat.close();
      await batch?.close();
    },
  };
}
