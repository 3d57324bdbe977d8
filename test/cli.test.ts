/**
 * The `passerelle` commands for providers and operators, end to end against a running gateway (real
 * PostgreSQL, Redis and the sandbox insurer): submit (with --wait, several files, replays, refusals),
 * status, poll with --ack, participants, and the exit codes 0/1/2/3 in English and French. Most cases
 * call the commands' run functions with a captured terminal; the last block runs the built bin as a
 * child process, the way a user does.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runStatus, runSubmit } from '../gateway/operations/claims-cli.js';
import type { Terminal } from '../gateway/operations/gateway-command.js';
import { runParticipantsList, runParticipantsShow, runParticipantsStatus } from '../gateway/operations/participants-cli.js';
import { runPoll } from '../gateway/operations/poll-cli.js';
import { claimBundle, startTestGateway, type TestGateway } from './harness.js';
import { freePort } from '../gateway/queue/redis.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** A bundle the sandbox insurer reads but the gateway refuses (no Claim.identifier, no insurer, an item without net...). */
const INVALID_BUNDLE = join(ROOT, 'sandbox/fixtures/claim-bundle-covered-member.json');

let gw: TestGateway;
let dir: string;
let closedPort: number;

beforeAll(async () => {
  // Pended claims (above 500,000 XOF) are answered after 4 s: long enough for a --wait to run out of time.
  gw = await startTestGateway({ env: { SANDBOX_PEND_DELAY_MS: '4000' } });
  dir = mkdtempSync(join(tmpdir(), 'passerelle-cli-test-'));
  closedPort = await freePort();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CLINIC = { PASSERELLE_CLIENT_ID: 'demo-clinic', PASSERELLE_CLIENT_SECRET: 'demo-clinic-secret' };
const HOSPITAL = { PASSERELLE_CLIENT_ID: 'demo-hospital', PASSERELLE_CLIENT_SECRET: 'demo-hospital-secret' };
const OPERATOR = { PASSERELLE_CLIENT_ID: 'demo-operator', PASSERELLE_CLIENT_SECRET: 'demo-operator-secret' };

/** A terminal that keeps what a command writes, with the gateway's URL and an English locale unless env says otherwise. */
function terminal(env: NodeJS.ProcessEnv = {}): Terminal & { stdout: string[]; stderr: string[]; text(): string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    env: { PASSERELLE_URL: gw.url, LANG: 'en_US.UTF-8', ...env },
    out: (text) => stdout.push(...text.split('\n')),
    err: (text) => stderr.push(...text.split('\n')),
    stdout, stderr,
    text: () => [...stdout, ...stderr].join('\n'),
  };
}

/** A claim bundle file for this provider (a fresh Claim.identifier), dated today. */
function claimFile(name: string, options: { fixture?: string; provider?: string; insurer?: string } = {}): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(claimBundle(options.fixture, { provider: options.provider, insurer: options.insurer })));
  return path;
}

const claimIdIn = (text: string) => /(?:claim|demande) +([0-9a-f-]{36})/.exec(text)?.[1];

describe('passerelle submit', () => {
  it('submits a bundle, waits for the final answer, and a re-run is a replay of the same claim', async () => {
    const file = claimFile('covered.json');
    const first = terminal(CLINIC);
    expect(await runSubmit([file], { wait: true }, first)).toBe(0);
    const out = first.stdout.join('\n');
    const claimId = claimIdIn(out)!;
    expect(out).toContain('answer     outcome queued: Accepted by the gateway and queued for delivery to IPM Démo');
    expect(out).toContain(`location   ${gw.url}/fhir/Claim/${claimId}`);
    expect(out).toContain('status     complete');
    expect(out).toMatch(/latest {5}outcome complete, paid 18400 XOF: .*\(ClaimResponse\/[0-9a-f-]{36}\)/);
    expect(first.stderr).toEqual([]);
    expect(out).not.toMatch(/M0001|Diop|Awa/); // nothing of the patient unless --json asks for the answers

    const again = terminal(CLINIC);
    expect(await runSubmit([file], {}, again)).toBe(0);
    expect(again.stdout[0]).toBe(`claim      ${claimId}  (replayed: the gateway already had this submission)`);
  }, 30_000);

  it('exits 1 on a refused bundle, with every issue of the OperationOutcome, in English or French', async () => {
    const en = terminal(CLINIC);
    expect(await runSubmit([INVALID_BUNDLE], {}, en)).toBe(1);
    expect(en.stdout[0]).toBe('The gateway refused the request (HTTP 422):');
    expect(en.text()).toContain('  error    fhir-cardinality-min  Bundle.entry[0].resource.identifier  Missing required element "identifier" (at least 1)');
    expect(en.text()).toContain('  warning  fhir-binding-extensible  Bundle.entry[0].resource.item[0].productOrService');
    expect(en.stdout.filter((l) => l.includes('fhir-cardinality-min'))).toHaveLength(4);

    const fr = terminal({ ...CLINIC });
    expect(await runSubmit([INVALID_BUNDLE], { lang: 'fr' }, fr)).toBe(1);
    expect(fr.stdout[0]).toBe('La passerelle a refusé la demande (HTTP 422) :');
    expect(fr.text()).toContain('  erreur         fhir-cardinality-min  Bundle.entry[0].resource.identifier  Élément obligatoire « identifier » absent');

    const replayed = terminal(CLINIC);
    expect(await runSubmit([INVALID_BUNDLE], {}, replayed)).toBe(1);
    expect(replayed.text()).toContain("This is the gateway's answer to an earlier submission of the same file (replayed)");
  });

  it('submits a folder with a summary line, and exits 1 when one file is refused', async () => {
    claimFile('batch/a.json');
    claimFile('batch/b.json');
    writeFileSync(join(dir, 'batch/c-invalid.json'), readFileSync(INVALID_BUNDLE));
    const run = terminal(CLINIC);
    expect(await runSubmit([join(dir, 'batch')], { wait: true }, run)).toBe(1);
    expect(run.stdout.find((l) => l.startsWith(join(dir, 'batch/a.json')))).toMatch(/ {2}[0-9a-f-]{36} {2}complete {2}outcome complete, paid 18400 XOF/);
    // The same content as the previous test's refused bundle: the gateway's answer is replayed.
    expect(run.stdout).toContain(`${join(dir, 'batch/c-invalid.json')}  refused (HTTP 422) (replayed)`);
    expect(run.stdout.at(-1)).toBe('3 files: 2 accepted, 1 refused; final: 2 complete');
  }, 30_000);

  it('prints the raw answers with --json', async () => {
    const run = terminal(CLINIC);
    expect(await runSubmit([claimFile('json.json')], { json: true, wait: true }, run)).toBe(0);
    const document = JSON.parse(run.stdout.join('\n')) as { status: number; idempotencyKey: string; answer: { resourceType: string; outcome: string }; final: { status: string; claimResponse: { outcome: string } } };
    expect(document).toMatchObject({ status: 202, replayed: false, answer: { resourceType: 'ClaimResponse', outcome: 'queued' }, final: { status: 'complete', claimResponse: { outcome: 'complete' } } });
    expect(document.idempotencyKey).toMatch(/^passerelle-cli-en-sha256-[0-9a-f]{64}$/);
  }, 30_000);

  it('exits 1 when the claim ends negative (delivery failed)', async () => {
    await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-mutuelle', status: 500, count: 4 }) });
    try {
      const run = terminal(CLINIC);
      expect(await runSubmit([claimFile('failing.json', { insurer: 'demo-mutuelle' })], { wait: true }, run)).toBe(1);
      expect(run.text()).toContain('status     failed');
      expect(run.text()).toMatch(/latest {5}outcome error, errors delivery-failed/);
    } finally {
      await gw.sandbox('/_control/reset', { method: 'POST' });
    }
  }, 30_000);

  it('exits 3 when --wait runs out of time, the claim still in process', async () => {
    const run = terminal(CLINIC);
    expect(await runSubmit([claimFile('pended.json', { fixture: 'claim-bundle-above-pend-threshold' })], { wait: true, timeout: '1' }, run)).toBe(3);
    expect(run.stderr.join('\n')).toContain('No final status after 1 s: the claim is still in process');
  }, 30_000);

  it('exits 2 on usage errors before sending anything', async () => {
    const missing = terminal(CLINIC);
    expect(await runSubmit([join(dir, 'no-such.json')], {}, missing)).toBe(2);
    expect(missing.stderr).toEqual([`No such file or folder: ${join(dir, 'no-such.json')}`]);
    const fr = terminal({ ...CLINIC, LANG: 'fr_FR.UTF-8' });
    expect(await runSubmit([join(dir, 'no-such.json')], {}, fr)).toBe(2);
    expect(fr.stderr).toEqual([`Fichier ou dossier introuvable : ${join(dir, 'no-such.json')}`]);
    expect(await runSubmit([claimFile('key.json')], { idempotencyKey: 'a key with spaces' }, terminal(CLINIC))).toBe(2);
    expect(await runSubmit([claimFile('t.json')], { wait: true, timeout: 'soon' }, terminal(CLINIC))).toBe(2);
    const lang = terminal(CLINIC);
    expect(await runSubmit([claimFile('l.json')], { lang: 'de' }, lang)).toBe(2);
    expect(lang.stderr).toEqual(['--lang takes en or fr, not "de"']);
  });
});

describe('passerelle status', () => {
  it("prints a claim's status and latest answer; exits 1 for a claim unknown to the caller", async () => {
    const submitted = terminal(CLINIC);
    await runSubmit([claimFile('status.json')], { wait: true }, submitted);
    const claimId = claimIdIn(submitted.stdout.join('\n'))!;

    const run = terminal(CLINIC);
    expect(await runStatus(claimId, {}, run)).toBe(0);
    expect(run.stdout[0]).toBe(`claim      ${claimId}`);
    expect(run.stdout[1]).toBe('status     complete');
    expect(run.stdout[2]).toMatch(/^latest {5}outcome complete, paid 18400 XOF/);

    const fr = terminal(CLINIC);
    expect(await runStatus(claimId, { lang: 'fr' }, fr)).toBe(0);
    expect(fr.stdout.slice(0, 2)).toEqual([`demande    ${claimId}`, 'statut     complete']);
    expect(fr.stdout[2]).toMatch(/^dernière {3}résultat complete, payé 18400 XOF : /);

    const json = terminal(CLINIC);
    expect(await runStatus(claimId, { json: true }, json)).toBe(0);
    expect(JSON.parse(json.stdout.join('\n'))).toMatchObject({ task: { resourceType: 'Task', businessStatus: { coding: [{ code: 'complete' }] } }, claimResponse: { outcome: 'complete' } });

    const stranger = terminal(HOSPITAL); // another provider's claim: unknown to it
    expect(await runStatus(claimId, {}, stranger)).toBe(1);
    expect(stranger.stderr.join('\n')).toBe(`The gateway refused the request (HTTP 404):\n  error  not-found  -  Claim/${claimId} is not known`);
  }, 30_000);

  it('waits for a pended claim to be answered', async () => {
    const submitted = terminal(CLINIC);
    expect(await runSubmit([claimFile('pend-then-status.json', { fixture: 'claim-bundle-above-pend-threshold' })], {}, submitted)).toBe(0);
    const claimId = claimIdIn(submitted.stdout.join('\n'))!;
    const run = terminal(CLINIC);
    expect(await runStatus(claimId, { wait: true, timeout: '20' }, run)).toBe(0);
    expect(run.stdout[1]).toBe('status     complete');
  }, 30_000);
});

describe('passerelle poll', () => {
  it('prints the messages waiting, acknowledges exactly those with --ack, then has none', async () => {
    const submitted = terminal(HOSPITAL);
    expect(await runSubmit([claimFile('hospital.json', { provider: 'demo-hospital' })], { wait: true }, submitted)).toBe(0);
    const claimId = claimIdIn(submitted.stdout.join('\n'))!;

    const look = terminal(HOSPITAL);
    expect(await runPoll({}, look)).toBe(0);
    expect(look.stdout).toEqual([expect.stringMatching(new RegExp(`^ClaimResponse/[0-9a-f-]{36}  Claim/${claimId}: outcome complete, paid 18400 XOF: `)), '1 message(s) shown, 1 waiting']);

    const ack = terminal(HOSPITAL);
    expect(await runPoll({ ack: true, count: '10' }, ack)).toBe(0);
    expect(ack.stdout.at(-1)).toBe('1 message(s) acknowledged');

    const after = terminal(HOSPITAL);
    expect(await runPoll({ lang: 'fr' }, after)).toBe(0);
    expect(after.stdout).toEqual(['Aucun message en attente.']);
    expect(await runPoll({ count: '0' }, terminal(HOSPITAL))).toBe(2);
  }, 30_000);
});

describe('passerelle participants', () => {
  it('lists, shows, suspends and reactivates participants with operator credentials', async () => {
    const list = terminal(OPERATOR);
    expect(await runParticipantsList({}, list)).toBe(0);
    expect(list.stdout[0]).toBe('id\tkind\tstatus\tname\tactive clients');
    expect(list.stdout).toContain('demo-hospital\tprovider\tactive\tHôpital Démo (Thiès)\tdemo-hospital');

    const show = terminal(OPERATOR);
    expect(await runParticipantsShow('demo-insurer', { lang: 'fr' }, show)).toBe(0);
    expect(show.stdout.join('\n')).toMatch(/^id {16}demo-insurer\ntype {14}insurer\n/);
    expect(show.stdout.join('\n')).not.toMatch(/secret-|demo-insurer-secret/);

    const suspend = terminal(OPERATOR);
    expect(await runParticipantsStatus('demo-hospital', 'suspend', {}, suspend)).toBe(0);
    expect(suspend.stdout).toEqual(['demo-hospital is now suspended']);
    try {
      // A suspended participant gets no token: its credentials are refused (exit 2).
      const refused = terminal(HOSPITAL);
      expect(await runPoll({}, refused)).toBe(2);
      expect(refused.stderr.join('\n')).toMatch(/^The gateway refused the client credentials \(PASSERELLE_CLIENT_ID\/SECRET\): /);
    } finally {
      const reactivate = terminal(OPERATOR);
      expect(await runParticipantsStatus('demo-hospital', 'reactivate', { lang: 'fr' }, reactivate)).toBe(0);
      expect(reactivate.stdout).toEqual(['demo-hospital est maintenant active']);
    }
    expect(await runPoll({}, terminal(HOSPITAL))).toBe(0);

    const unknown = terminal(OPERATOR);
    expect(await runParticipantsShow('nobody', {}, unknown)).toBe(1);
    expect(unknown.stderr.join('\n')).toContain('Organization/nobody is not known');
    const provider = terminal(CLINIC);
    expect(await runParticipantsList({}, provider)).toBe(1);
    expect(provider.stderr.join('\n')).toContain('insufficient-scope');
  });
});

describe('connection settings and reachability', () => {
  it('exits 2 without credentials, naming them, in English or French', async () => {
    const en = terminal();
    expect(await runPoll({}, en)).toBe(2);
    expect(en.stderr).toEqual(['Set PASSERELLE_CLIENT_ID and PASSERELLE_CLIENT_SECRET to a participant client (demo: demo-clinic / demo-clinic-secret)']);
    const fr = terminal({ LANG: 'fr_SN.UTF-8' });
    expect(await runParticipantsList({}, fr)).toBe(2);
    expect(fr.stderr).toEqual(['Définissez PASSERELLE_CLIENT_ID et PASSERELLE_CLIENT_SECRET pour un client opérateur (démo : demo-operator / demo-operator-secret)']);
    const badUrl = terminal({ ...CLINIC, PASSERELLE_URL: 'gateway.example' });
    expect(await runStatus('x', {}, badUrl)).toBe(2);
    expect(badUrl.stderr).toEqual(['PASSERELLE_URL must be an http:// or https:// URL, not "gateway.example"']);
  });

  it('exits 3 when the gateway cannot be reached', async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    const en = terminal({ ...CLINIC, PASSERELLE_URL: url });
    expect(await runSubmit([claimFile('unreachable.json')], {}, en)).toBe(3);
    expect(en.stderr).toEqual([`The gateway does not answer at ${url} (ECONNREFUSED). Is it running? Is PASSERELLE_URL right?`]);
    const fr = terminal({ ...OPERATOR, PASSERELLE_URL: url });
    expect(await runParticipantsList({ lang: 'fr' }, fr)).toBe(3);
    expect(fr.stderr).toEqual([`La passerelle ne répond pas à ${url} (ECONNREFUSED). Est-elle démarrée ? PASSERELLE_URL est-elle juste ?`]);
  });
});

describe('the built `passerelle` bin, as a child process', () => {
  let build: string;

  // Compiled into a private folder (not the shared dist/), without type checking (npm run lint's job).
  beforeAll(() => {
    build = mkdtempSync(join(tmpdir(), 'passerelle-cli-build-'));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', build], { encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    writeFileSync(join(build, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
  }, 120_000);

  afterAll(() => {
    if (build) rmSync(build, { recursive: true, force: true });
  });

  /** Runs the bin without blocking the event loop (the gateway under test runs in this process). */
  function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [join(build, 'gateway/cli.js'), ...args], {
      env: { PATH: process.env.PATH, NODE_OPTIONS: '', LANG: 'en_US.UTF-8', PASSERELLE_URL: gw.url, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(input ?? '');
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  it('submits from standard input and waits: exit 0; a refused bundle: exit 1', async () => {
    const ok = await cli(['submit', '-', '--wait'], CLINIC, JSON.stringify(claimBundle()));
    expect([ok.status, ok.stderr]).toEqual([0, '']);
    expect(ok.stdout).toMatch(/^claim {6}[0-9a-f-]{36}\nanswer {5}outcome queued: [^\n]+\nlocation {3}http:[^\n]+\nstatus {5}complete\nlatest {5}outcome complete, paid 18400 XOF: /);

    const refused = await cli(['submit', INVALID_BUNDLE, '--lang', 'fr'], CLINIC);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^La passerelle a refusé la demande \(HTTP 422\) :\n {2}erreur {9}fhir-cardinality-min/);
  }, 30_000);

  it('exits 2 on usage and configuration errors, 3 when the gateway cannot be reached', async () => {
    const noCredentials = await cli(['poll']);
    expect([noCredentials.status, noCredentials.stderr]).toEqual([2, 'Set PASSERELLE_CLIENT_ID and PASSERELLE_CLIENT_SECRET to a participant client (demo: demo-clinic / demo-clinic-secret)\n']);
    const unknownOption = await cli(['status', 'x', '--bogus'], CLINIC);
    expect(unknownOption.status).toBe(2);
    expect(unknownOption.stderr).toMatch(/^error: unknown option '--bogus'/);
    const frOption = await cli(['participants', 'list', '--bogus'], { ...OPERATOR, LANG: 'fr_FR.UTF-8' });
    expect([frOption.status, frOption.stderr]).toEqual([2, expect.stringMatching(/^erreur : option inconnue « --bogus »/)]);
    const unreachable = await cli(['participants', 'list'], { ...OPERATOR, PASSERELLE_URL: `http://127.0.0.1:${closedPort}` });
    expect(unreachable.status).toBe(3);
  }, 30_000);

  it('gives the dead-letters commands the same exit codes', async () => {
    expect((await cli(['dead-letters', 'list'])).status).toBe(2);
    expect((await cli(['dead-letters', 'list', '--bogus'], OPERATOR)).status).toBe(2);
    const unknown = await cli(['dead-letters', 'show', '00000000-0000-4000-8000-000000000000'], OPERATOR);
    expect([unknown.status, unknown.stderr]).toEqual([1, 'Claim/00000000-0000-4000-8000-000000000000 is not known\n']);
    expect((await cli(['dead-letters', 'list'], { ...OPERATOR, PASSERELLE_URL: `http://127.0.0.1:${closedPort}` })).status).toBe(3);
    expect((await cli(['dead-letters', 'list'], OPERATOR)).status).toBe(0);
  }, 30_000);

  it('describes every command with its exit codes and examples, in English or French', async () => {
    for (const command of [['submit'], ['status'], ['poll'], ['participants'], ['participants', 'suspend']]) {
      const help = await cli([...command, '--help']);
      expect([help.status, help.stderr]).toEqual([0, '']);
      expect(help.stdout).toContain('Exit codes:\n  0  done\n  1  the gateway refused the request');
      expect(help.stdout).toContain('Examples:\n  ');
    }
    const fr = await cli(['submit', '--help', '--lang', 'fr']);
    expect(fr.stdout).toContain('Utilisation : passerelle submit [options] <files...>');
    expect(fr.stdout).toContain('Codes de sortie :\n  0  fait');
    expect((await cli(['poll', '--help'], { LANG: 'fr_FR.UTF-8' })).stdout).toContain('acquitter les messages affichés');

    // The command itself and hash-secret too.
    const top = await cli(['--help'], { LANG: 'fr_SN.UTF-8' });
    expect([top.status, top.stderr]).toEqual([0, '']);
    expect(top.stdout).toMatch(/^Utilisation : passerelle \[options\] \[command\]\n\nPasserelle, passerelle FHIR R4 des demandes de remboursement/);
    expect(top.stdout).toMatch(/hash-secret \[options\] +affiche l'empreinte scrypt/);
    expect((await cli(['--help'])).stdout).toMatch(/hash-secret \[options\] +print the scrypt hash/);
    const short = await cli(['hash-secret', '--lang', 'fr'], {}, 'trop-court');
    expect([short.status, short.stderr]).toEqual([2, 'Le secret doit compter au moins 16 caractères.\n']);
    const hashed = await cli(['hash-secret'], {}, 'a-secret-long-enough');
    expect([hashed.status, hashed.stdout]).toEqual([0, expect.stringMatching(/^scrypt\$/)]);
  }, 30_000);
});
