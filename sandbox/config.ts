// Environment of the standalone sandbox (main.ts), validated at boot in every environment: a typo in
// a variable stops the process with a message instead of silently using a default.
import { z } from 'zod';

const envSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_GATEWAY_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8080'),
  SANDBOX_SEED_FILE: z.string().min(1).optional(),
  SANDBOX_PEND_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(2000),
  /** "true" mounts the /_control API (fault injection, stats, reset). */
  SANDBOX_CONTROL: z.enum(['true', 'false']).default('false'),
  /** Folder of the CSV batch exchange; unset = the exchange is off. */
  SANDBOX_BATCH_DIR: z.string().min(1).optional(),
  SANDBOX_BATCH_POLL_MS: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The standalone sandbox's configuration. */
export interface SandboxConfig {
  readonly port: number;
  readonly host: string;
  readonly gatewayUrl: string;
  readonly seedFile?: string;
  readonly pendDelayMs: number;
  readonly control: boolean;
  readonly batchDir?: string;
  readonly batchPollMs: number;
  readonly logLevel: string;
}

/**
 * Reads the sandbox configuration from environment variables.
 * @throws Error listing every invalid variable.
 */
export function readSandboxConfig(env: NodeJS.ProcessEnv): SandboxConfig {
  // Empty variables count as unset, as in most shells' `VAR= command`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new Error(`Invalid sandbox configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    port: e.SANDBOX_PORT,
    host: e.SANDBOX_HOST,
    gatewayUrl: e.SANDBOX_GATEWAY_URL,
    ...(e.SANDBOX_SEED_FILE ? { seedFile: e.SANDBOX_SEED_FILE } : {}),
    pendDelayMs: e.SANDBOX_PEND_DELAY_MS,
    control: e.SANDBOX_CONTROL === 'true',
    ...(e.SANDBOX_BATCH_DIR ? { batchDir: e.SANDBOX_BATCH_DIR } : {}),
    batchPollMs: e.SANDBOX_BATCH_POLL_MS,
    logLevel: e.LOG_LEVEL,
  };
}
