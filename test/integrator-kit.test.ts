/**
 * The integrator kit (docs/integrators.md, docs/integrators.fr.md, examples/) against a real gateway:
 * the TypeScript examples reach complete ClaimResponses through fhir-kit-client, the sandbox's test data
 * gives what the kit's tables say (in both languages), the examples also compile with tsc and run with
 * plain node, and every shell block of the two pages marked `# kit:run` runs with bash and exits 0.
 * The examples import nothing from the gateway's code, as an integrator's would not.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { FhirResource } from 'fhir-kit-client';
import { startTestGateway, type TestGateway } from './harness.js';
import { errorCodes, exampleBundle, fhirClient, tokenWithPrivateKey, tokenWithSecret, totalOf, type Connection } from '../examples/typescript/passerelle.js';
import { firstClaim, submitClaim, waitForAnswer } from '../examples/typescript/first-claim.js';
import { startCallbackReceiver } from '../examples/typescript/callback-receiver.js';
import { registerClinic } from '../examples/typescript/sandbox-clinic.js';
import { acknowledge, poll, pollOnce } from '../examples/typescript/polling.js';
import { askStatus, cancelClaim, submitCorrection } from '../examples/typescript/claim-tasks.js';
import { claimWithAuthorisation, requestPriorAuthorisation } from '../examples/typescript/prior-authorisation.js';
import { answerWithDocument, informationRequests } from '../examples/typescript/information-request.js';
import { amountPaidFor, paymentsOf, sandboxPaymentRun } from '../examples/typescript/payments.js';
import { pollRequest, processMessage } from '../examples/typescript/messaging.js';
import { freePort } from '../gateway/queue/redis.js';

const root = new URL('../', import.meta.url).pathname;
const docs = { en: 'docs/integrators.md', fr: 'docs/integrators.fr.md' } as const;

let gw: TestGateway;
let clinic: Connection;
beforeAll(async () => {
  gw = await startTestGateway();
  clinic = { url: gw.url, clientId: 'demo-clinic', clientSecret: 'demo-clinic-secret', sandboxUrl: gw.sandboxUrl };
}, 60_000);
afterAll(async () => {
  await gw?.stop();
});

const operator = () => ({ ...clinic, clientId: 'demo-operator', clientSecret: 'demo-operator-secret' });
const client = async (connection: Connection = clinic) => fhirClient(connection, await tokenWithSecret(connection));

/** A kit bundle sent by another provider than the demo clinic (Claim.provider must be the caller). */
function bundleFrom(provider: string, name = 'claim-covered-member'): FhirResource {
  const bundle = exampleBundle(name) as FhirResource & { entry: Array<{ resource: { provider?: { identifier: { value: string } } } }> };
  bundle.entry[0]!.resource.provider!.identifier.value = provider;
  return bundle;
}

/** Runs a command in its own process group, killed with its children when it ends or times out. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(killGroup, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup(); // a background receiver left by a failed block
      resolve({ code, stdout, stderr });
    });
  });
}

describe('integrator kit: TypeScript examples with fhir-kit-client', () => {
  it('first-claim.ts goes from a token to a complete ClaimResponse', async () => {
    const lines: string[] = [];
    const { answer } = await firstClaim(clinic, (line) => lines.push(line));
    expect(answer).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete' });
    expect([totalOf(answer, 'submitted'), totalOf(answer, 'benefit')]).toEqual([23000, 18400]);
    expect(lines[0]).toMatch(/^1\. Eligibility: complete, in force: true/);
    expect(lines[1]).toBe('2. $validate: 0 error(s)');
  }, 60_000);

  it('the callback receiver takes a push whose HMAC and JWS verify, and refuses a forged one', async () => {
    const pushes: Array<Record<string, unknown>> = [];
    let arrived: () => void = () => undefined;
    const received = new Promise<void>((resolve) => { arrived = resolve; });
    const receiver = await startCallbackReceiver({
      port: 0, secret: 'kit-ts-clinic-callback-secret', participantId: 'kit-ts-clinic', jwksUrl: `${gw.url}/.well-known/jwks.json`,
      onPush: (resource) => { pushes.push(resource); arrived(); },
    });
    try {
      await registerClinic(operator(), {
        id: 'kit-ts-clinic', name: 'Kit clinic (TypeScript)', clientSecret: 'kit-ts-clinic-secret',
        callbackUrl: receiver.url, callbackSecret: 'kit-ts-clinic-callback-secret',
      });
      const own = await client({ ...clinic, clientId: 'kit-ts-clinic', clientSecret: 'kit-ts-clinic-secret' });
      const { claimId } = await submitClaim(own, bundleFrom('kit-ts-clinic'));
      await received;
      expect(pushes[0]).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete', request: { reference: `Claim/${claimId}` } });
      const forged = await fetch(receiver.url, {
        method: 'POST', body: JSON.stringify(pushes[0]),
        headers: { 'Passerelle-Signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`, 'Passerelle-Delivery-Id': 'x', 'Passerelle-JWS': 'a..b' },
      });
      expect(forged.status).toBe(401);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('gets tokens with a private key (private_key_jwt), as in production', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
    const kid = `kit-${randomBytes(4).toString('hex')}`;
    await registerClinic(operator(), { id: 'kit-key-clinic', name: 'Kit clinic (keys)', publicJwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384' }] } });
    const token = await tokenWithPrivateKey(gw.url, 'kit-key-clinic', { ...(await exportJWK(privateKey)), kid });
    const keyed = fhirClient(clinic, token);
    const { claimId } = await submitClaim(keyed, bundleFrom('kit-key-clinic'));
    expect((await waitForAnswer(keyed, claimId)).outcome).toBe('complete');
  }, 60_000);

  it('polling gives the answers until they are acknowledged', async () => {
    const fhir = await client();
    const { claimId } = await submitClaim(fhir, exampleBundle('claim-covered-member'));
    await waitForAnswer(fhir, claimId);
    const stored: FhirResource[] = [];
    await pollOnce(fhir, (message) => { stored.push(message); });
    expect(stored).toContainEqual(expect.objectContaining({ resourceType: 'ClaimResponse', outcome: 'complete', request: { reference: `Claim/${claimId}` } }));
    expect((await poll(fhir)).total).toBe(0);
    expect(await acknowledge(fhir, [])).toBe(0);
  }, 60_000);

  it('carries the rest of the conversation: status, cancel, correction, prior authorisation, information request, payments, messaging', async () => {
    const fhir = await client();
    const { claimId } = await submitClaim(fhir, exampleBundle('claim-covered-member'));
    await waitForAnswer(fhir, claimId);
    expect(await askStatus(fhir, claimId)).toMatchObject({ status: 'complete', latestResponse: expect.stringMatching(/^ClaimResponse\//) });
    const refusal = await cancelClaim(fhir, claimId).then(() => undefined, (err: unknown) => err);
    expect(errorCodes(refusal)).toEqual(['cancel-too-late']);

    const correction = await submitCorrection(fhir, claimId);
    const corrected = await waitForAnswer(fhir, correction.claimId);
    expect([corrected.outcome, totalOf(corrected, 'benefit')]).toEqual(['complete', 16000]);

    const authorisation = await requestPriorAuthorisation(fhir);
    expect(authorisation.preAuthRef).toMatch(/^PA-[0-9A-F]{10}$/);
    expect([totalOf(authorisation, 'benefit'), authorisation.payment]).toEqual([538400, undefined]);
    const cited = await claimWithAuthorisation(fhir, authorisation.preAuthRef!);
    expect([cited.answer.outcome, totalOf(cited.answer, 'benefit')]).toEqual(['complete', 538400]);
    // Never pended: the only "queued" answer is the gateway's own.
    const answers = ((await fhir.search({ resourceType: 'ClaimResponse', searchParams: { request: `Claim/${cited.claimId}` } })).entry as Array<{ resource: { outcome: string } }>);
    expect(answers.map((e) => e.resource.outcome)).toEqual(['queued', 'complete']);

    const held = await submitClaim(fhir, exampleBundle('claim-needs-report'));
    const [request] = await informationRequests(fhir, held.claimId);
    expect(request).toMatchObject({ resourceType: 'CommunicationRequest', status: 'active' });
    await answerWithDocument(fhir, request!, held.claimId, Buffer.from('%PDF-1.4 test'));
    const reported = await waitForAnswer(fhir, held.claimId);
    expect([reported.outcome, totalOf(reported, 'benefit')]).toEqual(['complete', 2098400]);

    await sandboxPaymentRun(gw.sandboxUrl);
    const { reconciliations, notices } = await paymentsOf(fhir, correction.claimId);
    expect(amountPaidFor(reconciliations[0]!, correction.claimId)).toBe(16000);
    expect(notices).toHaveLength(1);

    const message = await processMessage(fhir, exampleBundle('message-claim-request'));
    expect(message).toMatchObject({ event: 'claim-response', code: 'ok', focus: { resourceType: 'ClaimResponse', outcome: 'queued' } });
    const polled = await processMessage(fhir, pollRequest());
    expect(polled).toMatchObject({ event: 'poll-response', code: 'ok', focus: { resourceType: 'Task', status: 'completed' } });
  }, 120_000);
});

/** The test data table of the kit: each bundle, what the gateway and the sandbox answer. */
const cases = [
  { file: 'claim-covered-member', outcome: 'complete', benefit: 18400 },
  { file: 'claim-mutuelle-member', outcome: 'complete', benefit: 11500 },
  { file: 'claim-excluded-service', outcome: 'partial', benefit: 12000 },
  { file: 'claim-all-excluded', outcome: 'error', benefit: 0, errors: ['excluded-service', 'excluded-service'] },
  { file: 'claim-lapsed-coverage', outcome: 'error', warning: 'coverage-not-in-force', errors: ['coverage-inactive'] },
  { file: 'claim-unknown-member', outcome: 'error', warning: 'member-unknown', errors: ['member-unknown'] },
  { file: 'claim-other-insurer-member', refused: 'member-unknown' },
  { file: 'claim-mutuelle-lapsed-coverage', refused: 'coverage-not-in-force' },
  { file: 'claim-above-pend-threshold', outcome: 'complete', benefit: 538400, pended: true },
] as const;

/** Figures the tables give for the bundles of the conversation, which the test above checks. */
const conversationFigures: Record<string, string[]> = {
  'claim-needs-report': ['2098400', 'CommunicationRequest'],
  'preauthorization-request': ['538400', 'PA-'],
  'claim-citing-preauthorization': ['538400'],
  'claim-correction': ['16000'],
};

/** The table row of a page naming a bundle, spaces (and non-breaking ones) removed. */
function tableRow(page: string, file: string): string {
  const row = page.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${file}.json\``));
  if (!row) throw new Error(`no table row for ${file}.json`);
  return row.replace(/[\s\u00a0\u202f]/g, '');
}

describe('integrator kit: sandbox test data', () => {
  it('gives for each bundle what the tables of both pages say', async () => {
    const fhir = await client();
    const results = await Promise.all(cases.map(async (c) => {
      try {
        const submission = await submitClaim(fhir, exampleBundle(c.file));
        return { submission, answer: await waitForAnswer(fhir, submission.claimId) };
      } catch (err) {
        return { refused: errorCodes(err) };
      }
    }));
    const pages = Object.values(docs).map((path) => readFileSync(join(root, path), 'utf8'));
    cases.forEach((c, i) => {
      const result = results[i]!;
      if ('refused' in c) {
        expect({ file: c.file, refused: result.refused }).toEqual({ file: c.file, refused: [c.refused] });
        for (const page of pages) expect(tableRow(page, c.file)).toContain(`**422**\`${c.refused}\``);
        return;
      }
      const { submission, answer } = result as { submission: Awaited<ReturnType<typeof submitClaim>>; answer: Awaited<ReturnType<typeof waitForAnswer>> };
      const warnings = ((submission.queued.contained ?? []) as Array<{ issue: Array<{ severity: string; details: { coding: Array<{ code: string }> } }> }>)
        .flatMap((o) => o.issue.filter((i) => i.severity === 'warning').map((i) => i.details.coding[0]!.code));
      expect({ file: c.file, outcome: answer.outcome, warnings }).toEqual({ file: c.file, outcome: c.outcome, warnings: 'warning' in c ? [c.warning] : [] });
      if ('benefit' in c) expect({ file: c.file, benefit: totalOf(answer, 'benefit') }).toEqual({ file: c.file, benefit: c.benefit });
      if ('errors' in c) expect(answer.error?.map((e) => e.code.coding?.[0]?.code)).toEqual(c.errors);
      for (const page of pages) {
        const row = tableRow(page, c.file);
        expect(row).toContain(`\`${c.outcome}\``);
        if ('benefit' in c) expect(row).toContain(`**${c.benefit}**`);
        for (const code of ['warning' in c ? c.warning : undefined, ...('errors' in c ? c.errors : [])]) if (code) expect(row).toContain(`\`${code}\``);
      }
    });
    for (const page of pages) {
      for (const [file, figures] of Object.entries(conversationFigures)) for (const figure of figures) expect(tableRow(page, file)).toContain(figure);
    }
  }, 90_000);
});

describe('integrator kit: runnable as an integrator runs it', () => {
  it('compiles with tsc, and first-claim runs with plain node', async () => {
    const compiled = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'examples/typescript'], {}, 120_000);
    expect({ code: compiled.code, output: compiled.stdout + compiled.stderr }).toEqual({ code: 0, output: '' });
    const ran = await run(process.execPath, ['examples/dist/first-claim.js'], { PASSERELLE_URL: gw.url }, 60_000);
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^4\. Answer: complete, benefit 18400 XOF of 23000/m);
  }, 180_000);

  it.each(Object.entries(docs))('runs every `# kit:run` shell block of the %s page with bash', async (_language, path) => {
    const page = readFileSync(join(root, path), 'utf8');
    const blocks = [...page.matchAll(/```(?:bash|sh)\n# kit:run\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-kit-'));
    try {
      const script = join(dir, 'kit.sh');
      writeFileSync(script, ['set -eo pipefail', ...blocks.map((b, i) => `echo "### kit block ${i + 1}"\n${b}`), 'rm -rf "$KIT"'].join('\n'));
      const result = await run('bash', [script], { PASSERELLE_URL: gw.url, SANDBOX_URL: gw.sandboxUrl, CALLBACK_PORT: String(await freePort()) }, 240_000);
      const tail = (result.stdout + result.stderr).split('\n').slice(-30).join('\n');
      expect({ code: result.code, tail }).toEqual({ code: 0, tail: expect.any(String) });
      // What the blocks print: the figures of the walkthrough.
      for (const expected of ['all-ok', '202 Accepted', 'complete: ', '18400', 'HMAC ok, JWS ok', 'cancel-too-late', 'PA-', 'Communication/', '16000', 'claim-response ok', 'insurer-refused']) {
        expect({ expected, found: result.stdout.includes(expected) }).toEqual({ expected, found: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
