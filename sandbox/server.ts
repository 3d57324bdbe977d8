// Starts the sandbox insurer on its own port, as a separate system from the gateway: tests and the
// gateway's demo mode call startSandbox(), the standalone entry is main.ts.
import type { AddressInfo } from 'node:net';
import { createSandboxApp, type SandboxAppOptions } from './app.js';

/** Options of startSandbox: the app options plus where to listen. */
export interface SandboxOptions extends SandboxAppOptions {
  /** TCP port; 0 picks a free one (see SandboxHandle.port). */
  readonly port: number;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
}

/** A running sandbox. */
export interface SandboxHandle {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:8081; insurers are at `${url}/{insurerId}/fhir`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening, cancels pended answers and open connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts a sandbox insurer server.
 * @throws when the seed is invalid or the port cannot be bound.
 */
export async function startSandbox(options: SandboxOptions): Promise<SandboxHandle> {
  const sandbox = createSandboxApp(options);
  const host = options.host ?? '127.0.0.1';
  const server = sandbox.app.listen(options.port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // Every step runs even if another fails: app state first (timers, hangs), then sockets.
    await sandbox.close().catch((err: unknown) => sandbox.context.logger.error({ err }, 'sandbox state close failed'));
    server.closeAllConnections();
    await stopped;
  };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => (closed ??= close()),
  };
}
