// Standalone entry of the sandbox insurer: `npm run sandbox`, or `node dist/sandbox/main.js`.
// Configuration comes from SANDBOX_* variables (see config.ts and docs/sandbox.md).
import { pino } from 'pino';
import { readSandboxConfig } from './config.js';
import { startSandbox } from './server.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const config = readSandboxConfig(process.env);
  const logger = pino({ name: 'passerelle-sandbox', level: config.logLevel });
  const { logLevel: _level, ...options } = config;
  const sandbox = await startSandbox({ ...options, logger });
  logger.info({ url: sandbox.url, gatewayUrl: config.gatewayUrl, control: config.control, batchDir: config.batchDir }, 'sandbox insurer listening');

  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'sandbox shutting down');
    // A stuck close must not keep the process alive forever.
    const timer = setTimeout(() => {
      logger.error('sandbox shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'sandbox shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
