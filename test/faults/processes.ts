/**
 * Child processes of the built gateway and sandbox, and a Redis of the test's own, for fault runs:
 * started, SIGKILLed and restarted like a crashing production process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answers } from '../../gateway/queue/redis.js';

const root = new URL('../../', import.meta.url).pathname;

/** A restartable child process. */
export class Managed {
  private child?: ChildProcess;
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    private readonly ready: () => Promise<boolean>,
  ) {}

  /** Starts the process and waits until ready() says it serves. */
  async start(): Promise<void> {
    const log = openSync(join(this.logDir, `${this.name}.log`), 'a');
    this.child = spawn(this.command, this.args, { cwd: root, env: { ...process.env, ...this.env }, stdio: ['ignore', log, log] });
    for (let i = 0; i < 300; i++) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited with ${this.child.exitCode}; see ${this.logDir}/${this.name}.log`);
      if (await this.ready()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} did not become ready`);
  }

  /** The pid while it runs (with scripts/gateway.sh, Node's own: the script execs it). */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null ? this.child.pid : undefined;
  }

  /** SIGKILL: no shutdown, no cleanup, as a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    this.restarts++;
    await this.start();
  }

  /** SIGTERM and wait. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The built gateway with this environment, started as `npm start` starts it (scripts/gateway.sh: heap cap, malloc threshold). */
export function gatewayProcess(name: string, env: NodeJS.ProcessEnv, logDir: string, url?: string): Managed {
  const ready = url
    ? async () => (await fetch(`${url}/readyz`).then((r) => r.ok, () => false))
    : async () => true;
  return new Managed(name, '/bin/sh', ['scripts/gateway.sh'], env, logDir, ready);
}

/** The process's own figures from /proc (Linux): resident memory now and at its peak, in MiB. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** The built sandbox insurer. */
export function sandboxProcess(env: NodeJS.ProcessEnv, logDir: string, url: string): Managed {
  return new Managed('sandbox', process.execPath, ['dist/sandbox/main.js'], env, logDir, async () => fetch(`${url}/healthz`).then((r) => r.ok, () => false));
}

/** A redis-server with its append-only file in dir. */
export function redisProcess(port: number, dir: string, logDir: string): Managed {
  return new Managed('redis', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction',
  ], {}, logDir, () => answers(`redis://127.0.0.1:${port}`));
}
