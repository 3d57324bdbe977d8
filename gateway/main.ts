/**
 * Entry point of `npm start`: reads the configuration, starts Passerelle, and shuts it down in order on
 * SIGTERM or SIGINT. Configuration and start-up problems end the process with a message saying why.
 */
import { ConfigError, loadConfig } from './config.js';
import { RedisUnavailableError } from './queue/redis.js';
import { startPasserelle } from './runtime.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  let passerelle;
  try {
    passerelle = await startPasserelle(config);
  } catch (err) {
    console.error(`Passerelle could not start: ${err instanceof RedisUnavailableError ? err.message : (err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
  if (passerelle.url) {
    console.log(`Passerelle is listening on ${passerelle.url}${passerelle.sandbox ? ` (demo mode; sandbox insurer on ${passerelle.sandbox.url})` : ''}`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    passerelle.logger.info({ signal }, 'shutting down');
    passerelle.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
