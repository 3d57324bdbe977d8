/**
 * The operator console end to end in a real browser: Debian's chromium driven by playwright-core
 * against a gateway on real Redis and PostgreSQL with the sandbox insurers. Clicks through login (a
 * wrong secret refused), the transaction log with a filter, a claim's detail (bundles only with the PHI
 * scope), an eligibility request's detail, a dead letter replayed from its button, insurer health, participants, the language switch, the
 * queue dashboard behind the login, and logout; takes a screenshot at each step into
 * test-results/console/. Without chromium this test fails: it never skips.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { claimBundle, startTestGateway, type TestGateway } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHOTS = `${ROOT}test-results/console`;

let gw: TestGateway;
let browser: Browser;
let deadClaim: string;
let answeredClaim: string;

async function submitted(insurer: string, identifier: string): Promise<string> {
  const answer = await gw.submit(claimBundle(undefined, { insurer, identifier }));
  return answer.headers.get('location')!.split('/Claim/')[1]!;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  // The console as the gateway serves it: built by Vite from console/ into dist/console.
  execFileSync(process.execPath, [`${ROOT}node_modules/vite/bin/vite.js`, 'build', `${ROOT}console`, '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });
  gw = await startTestGateway({ env: { DELIVERY_ATTEMPTS: '2' } });
  const operator = await gw.token('demo-operator');
  for (const [clientId, scopes] of [['ops-no-phi', ['admin']], ['ops-phi', ['admin', 'admin:phi']]] as const) {
    await fetch(`${gw.url}/admin/participants/demo-operator/clients`, {
      method: 'POST', headers: { Authorization: `Bearer ${operator}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientId, secret: `${clientId}-secret`, scopes }),
    });
  }
  answeredClaim = await submitted('demo-insurer', 'BROWSER-ANSWERED');
  const today = new Date().toISOString().slice(0, 10);
  const eligibility = JSON.parse(readFileSync(new URL('./fixtures/eligibility-request-covered-member.json', import.meta.url), 'utf8').replaceAll('TODAY', today)) as { entry: Array<{ resource: Record<string, unknown> }> };
  eligibility.entry[0]!.resource.identifier = [{ system: 'urn:test:eligibility', value: 'BROWSER-ELIGIBILITY' }];
  const asked = await fetch(`${gw.url}/fhir/CoverageEligibilityRequest/$submit`, {
    method: 'POST', headers: { Authorization: `Bearer ${await gw.token('demo-clinic')}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(eligibility),
  });
  if (asked.status !== 200) throw new Error(`eligibility request answered ${asked.status}`);
  await submitted('demo-mutuelle', 'BROWSER-MUTUELLE');
  await gw.sandbox('/_control/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ insurer: 'demo-insurer', status: 500, count: 2 }) });
  deadClaim = await submitted('demo-insurer', 'BROWSER-DEAD');
  await gw.waitForStatus(deadClaim, ['failed']);
  await gw.waitForStatus(answeredClaim, ['complete', 'partial', 'error', 'pended']);
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

/** A new browser profile (no cookie) in a language; fails the test on any CSP violation or page error. */
async function newPage(locale = 'en-GB'): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ locale, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  return { context, page, problems };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function logIn(page: Page, clientId: string, secret: string): Promise<void> {
  await page.goto(`${gw.url}/console/`);
  await page.getByLabel('Client id').fill(clientId);
  await page.getByLabel('Client secret').fill(secret);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('operator console in chromium', () => {
  it('logs in (a wrong secret refused), filters the log, shows a claim without its bundles, and logs out', async () => {
    const { context, page, problems } = await newPage();
    await logIn(page, 'ops-no-phi', 'wrong-secret');
    await page.getByRole('alert').filter({ hasText: 'Login refused' }).waitFor();
    await shot(page, '01-login-refused');

    await logIn(page, 'ops-no-phi', 'ops-no-phi-secret');
    await page.getByText('Logged in as').waitFor();
    const log = page.getByRole('table', { name: 'Transactions' });
    await log.getByText('BROWSER-DEAD').waitFor();
    await shot(page, '02-transactions');

    await page.getByLabel('Insurer').fill('demo-mutuelle');
    await page.getByRole('button', { name: 'Filter' }).click();
    await log.getByText('BROWSER-DEAD').waitFor({ state: 'detached' });
    await log.getByText('BROWSER-MUTUELLE').waitFor();
    expect(await log.locator('tbody tr').count()).toBe(1);
    await shot(page, '03-transactions-filtered');

    await page.getByRole('button', { name: 'Clear' }).click();
    await log.getByRole('link', { name: 'BROWSER-ANSWERED' }).click();
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText('accepted').waitFor();
    await timeline.getByText('queued').waitFor();
    expect(await timeline.locator('li').count()).toBeGreaterThanOrEqual(3);
    await page.getByText('shown only to operators holding the admin:phi scope').waitFor();
    expect(await page.getByLabel('Request bundle').count()).toBe(0);
    await shot(page, '04-claim-without-phi');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Operator login' }).waitFor();
    expect((await page.request.get(`${gw.url}/admin/dead-letters`)).status()).toBe(401);
    await shot(page, '05-logged-out');
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows the bundles to an operator holding admin:phi', async () => {
    const { context, page, problems } = await newPage();
    await logIn(page, 'ops-phi', 'ops-phi-secret');
    await page.getByText('patient data visible').waitFor();
    await page.goto(`${gw.url}/console/#/claims/${answeredClaim}`);
    const bundle = page.getByLabel('Request bundle');
    await bundle.waitFor();
    expect(await bundle.textContent()).toContain('"resourceType": "Bundle"');
    await shot(page, '06-claim-with-phi');

    // An eligibility request, from the log filtered on its kind: its facts, and the request itself.
    await page.getByRole('link', { name: 'Transactions' }).click();
    await page.getByLabel('Type').selectOption('eligibility');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('table', { name: 'Transactions' }).getByRole('link', { name: 'BROWSER-ELIGIBILITY' }).click();
    await page.getByRole('heading', { name: /Eligibility request BROWSER-ELIGIBILITY/ }).waitFor();
    await page.getByText('the insurer, live').waitFor();
    const request = page.getByLabel('Request bundle');
    await request.waitFor();
    expect(await request.textContent()).toContain('"resourceType": "CoverageEligibilityRequest"');
    expect(await page.getByLabel('Response', { exact: true }).textContent()).toContain('"resourceType": "CoverageEligibilityResponse"');
    await shot(page, '06b-eligibility-with-phi');
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('replays a dead letter from its button, and shows insurer health and participants', async () => {
    const { context, page, problems } = await newPage();
    await logIn(page, 'demo-operator', 'demo-operator-secret');
    await page.getByRole('link', { name: 'Dead letters and stuck claims' }).click();
    const deadLetters = page.getByRole('table', { name: 'Dead letters' });
    await deadLetters.getByText('BROWSER-DEAD').waitFor();
    await shot(page, '07-dead-letters');
    await deadLetters.locator(`button[data-claim="${deadClaim}"]`).click();
    await page.getByRole('status').filter({ hasText: `Claim ${deadClaim} replayed` }).waitFor();
    await gw.waitForStatus(deadClaim, ['complete', 'partial', 'error', 'pended']);
    await deadLetters.getByText('BROWSER-DEAD').waitFor({ state: 'detached', timeout: 15_000 }); // live update
    await shot(page, '08-dead-letter-replayed');

    await page.getByRole('link', { name: 'Insurer health' }).click();
    const health = page.getByRole('table', { name: 'Insurer health' });
    await health.getByRole('link', { name: 'IPM Démo', exact: true }).waitFor();
    expect(await health.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    await health.getByText('closed').first().waitFor();
    await shot(page, '09-insurer-health');

    await page.getByRole('link', { name: 'Participants' }).click();
    await page.getByRole('table', { name: 'Participants' }).getByRole('link', { name: 'demo-insurer' }).click();
    await page.getByRole('table', { name: 'Clients' }).getByText('demo-insurer').waitFor();
    await shot(page, '10-participant');
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('speaks French: from the browser language, and by the switch', async () => {
    const { context, page, problems } = await newPage('fr-FR');
    await page.goto(`${gw.url}/console/`);
    await page.getByRole('heading', { name: 'Connexion opérateur' }).waitFor();
    await shot(page, '11-login-fr');
    await page.getByLabel('Identifiant du client').fill('demo-operator');
    await page.getByLabel('Secret du client').fill('demo-operator-secret');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('link', { name: 'Santé des assureurs' }).click();
    await page.getByText('Délai et taux d’erreur sur les 15 dernières minutes.').waitFor();
    await shot(page, '12-health-fr');
    await page.getByRole('combobox', { name: 'Langue' }).selectOption('en');
    await page.getByText('Latency and error rate over the last 15 minutes.').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('opens the queue dashboard behind the login only', async () => {
    const { context, page } = await newPage();
    const refused = await page.goto(`${gw.url}/admin/queues/`);
    expect(refused!.status()).toBe(401);
    await logIn(page, 'demo-operator', 'demo-operator-secret');
    await page.getByText('Logged in as').waitFor();
    const board = await page.goto(`${gw.url}/admin/queues/`);
    expect(board!.status()).toBe(200);
    await page.getByText('delivery-demo-insurer').first().waitFor({ timeout: 20_000 });
    await shot(page, '13-queue-dashboard');
    await context.close();
  }, 120_000);
});
