/**
 * `passerelle dead-letters …`: the operator API from a terminal. It talks HTTP to a running gateway with
 * an operator's client credentials (PASSERELLE_URL, PASSERELLE_CLIENT_ID, PASSERELLE_CLIENT_SECRET).
 */
import type { Command } from 'commander';

/** Where and as whom the CLI talks to the gateway. */
export interface OperatorConnection {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

type Write = (line: string) => void;

interface Summary {
  id: string; provider: string; insurer: string; status: string; attempts: number; replays: number; lastError: string | null; updatedAt: string;
}

/** The connection from the environment; throws naming what is missing. */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorConnection {
  const { PASSERELLE_CLIENT_ID: clientId, PASSERELLE_CLIENT_SECRET: clientSecret } = env;
  if (!clientId || !clientSecret) throw new Error('Set PASSERELLE_CLIENT_ID and PASSERELLE_CLIENT_SECRET to an operator client (demo: demo-operator / demo-operator-secret)');
  return { url: (env.PASSERELLE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, ''), clientId, clientSecret };
}

/** Calls the operator API; throws with the gateway's message on an error answer. */
export async function operatorCall(conn: OperatorConnection, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const tokenAnswer = await fetch(`${conn.url}/auth/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: conn.clientId, client_secret: conn.clientSecret }),
  }).catch((err: Error) => {
    throw new Error(`The gateway does not answer at ${conn.url}: ${err.message}`, { cause: err });
  });
  const token = (await tokenAnswer.json()) as { access_token?: string; error_description?: string };
  if (!token.access_token) throw new Error(`Authentication failed: ${token.error_description ?? tokenAnswer.status}`);
  const answer = await fetch(`${conn.url}${path}`, {
    method, headers: { Authorization: `Bearer ${token.access_token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await answer.json()) as Record<string, unknown> & { issue?: Array<{ diagnostics?: string }> };
  if (!answer.ok) throw new Error(json.issue?.map((i) => i.diagnostics).join('; ') ?? `HTTP ${answer.status}`);
  return json;
}

function table(write: Write, claims: Summary[]): void {
  write(['claim', 'provider', 'insurer', 'status', 'attempts', 'replays', 'updated', 'last error'].join('\t'));
  for (const c of claims) write([c.id, c.provider, c.insurer, c.status, c.attempts, c.replays, c.updatedAt, c.lastError ?? ''].join('\t'));
}

/** `list`: dead letters, most recent first. */
export async function listDeadLetters(conn: OperatorConnection, options: { insurer?: string; json?: boolean }, write: Write): Promise<void> {
  const query = new URLSearchParams({ _count: '500', ...(options.insurer ? { insurer: options.insurer } : {}) });
  const page = await operatorCall(conn, 'GET', `/admin/dead-letters?${query}`);
  if (options.json) return write(JSON.stringify(page, null, 2));
  table(write, page.claims as Summary[]);
  write(`${String(page.total)} dead letter(s)`);
}

/** `show`: one claim with its timeline. */
export async function showClaim(conn: OperatorConnection, claimId: string, write: Write): Promise<void> {
  const claim = await operatorCall(conn, 'GET', `/admin/claims/${encodeURIComponent(claimId)}`);
  table(write, [claim as unknown as Summary]);
  for (const e of claim.events as Array<{ at: string; status: string; detail: unknown }>) {
    write(`  ${e.at}  ${e.status}${e.detail ? `  ${JSON.stringify(e.detail)}` : ''}`);
  }
}

/** `replay`: the given dead letters, or all of them (of one insurer). */
export async function replayDeadLetters(conn: OperatorConnection, ids: string[], options: { all?: boolean; insurer?: string }, write: Write): Promise<number> {
  if (ids.length === 0 && !options.all) throw new Error('Name the claims to replay, or use --all');
  const answer = await operatorCall(conn, 'POST', '/admin/dead-letters/replay', options.all ? { all: true, insurer: options.insurer } : { claims: ids });
  const replayed = answer.claims as Summary[];
  for (const c of replayed) write(`replayed ${c.id} (${c.insurer}, replay ${c.replays})`);
  const missed = ids.filter((id) => !replayed.some((c) => c.id === id));
  for (const id of missed) write(`not replayed ${id}: not a dead letter`);
  write(`${replayed.length} claim(s) queued again`);
  return missed.length;
}

/** Adds the dead-letters commands to the program. */
export function addDeadLetterCommands(program: Command): void {
  const group = program.command('dead-letters').description('list, inspect and replay claims whose delivery failed (operator credentials in PASSERELLE_CLIENT_ID/SECRET)');
  const out: Write = (line) => console.log(line);
  group.command('list').option('--insurer <id>', 'only this insurer').option('--json', 'the API answer as JSON')
    .action(async (options: { insurer?: string; json?: boolean }) => listDeadLetters(connectionFromEnv(), options, out));
  group.command('show <claimId>').description('a claim with its timeline').action(async (id: string) => showClaim(connectionFromEnv(), id, out));
  group.command('replay [claimIds...]').option('--all', 'every dead letter').option('--insurer <id>', 'with --all: only this insurer')
    .action(async (ids: string[], options: { all?: boolean; insurer?: string }) => {
      if ((await replayDeadLetters(connectionFromEnv(), ids, options, out)) > 0) process.exitCode = 1;
    });
}
