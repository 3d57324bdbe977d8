/**
 * The one logger. Patient data is kept out of logs here, once, by redaction paths, rather than at each
 * call site: bundles, resources and credentials are never written.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'bundle', '*.bundle',
  'resource', '*.resource',
  'patient', '*.patient',
  'body', '*.body',
  'client_secret', '*.client_secret',
  'err.response.data',
];

/** Creates the process logger at the given level (to stdout, or to the given destination). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { name: 'passerelle', level, redact: { paths: redactPaths, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
