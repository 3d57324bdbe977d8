/**
 * Entry point of `npm start`: reads the configuration, starts Passerelle, and shuts it down in order on
 * SIGTERM or SIGINT, including a signal that arrives while it is still starting. Configuration and
 * start-up problems end the process with a message saying why.
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { RedisUnavailableError } from './queue/redis.js';
import { startPasserelle, type Passerelle } from './runtime.js';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  let passerelle: Passerelle | undefined;
  let signalled: string | undefined;
  const stop = (signal: string) => {
    if (signalled) return;
    signalled = signal;
    if (!passerelle) return; // still starting: shut down as soon as the start completes
    passerelle.logger.info({ signal }, 'shutting down');
    passerelle.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    passerelle = await startPasserelle(config);
  } catch (err) {
    console.error(`Passerelle could not start: ${err instanceof RedisUnavailableError ? err.message : (err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
  if (passerelle.url) {
    console.log(`Passerelle is listening on ${passerelle.url}${passerelle.sandbox ? ` (demo mode; sandbox insurer on ${passerelle.sandbox.url})` : ''}`);
  }
  if (signalled) {
    const signal = signalled;
    signalled = undefined;
    stop(signal);
  }
}

void main();
