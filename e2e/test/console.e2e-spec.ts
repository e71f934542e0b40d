import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Signalbox } from '@signalbox/sdk';
import { Platform, testToken } from '@signalbox/testing';
import { type Browser, chromium, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'console');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// In CI the browser test always runs (.ci/run installs Chromium); elsewhere it is skipped, saying why.
const runnable = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!runnable) {
  console.warn(`console.e2e-spec: skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium)`);
}
const describeInBrowser = runnable ? describe : describe.skip;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is. axe is evaluated through the DevTools
 * protocol, not as a <script>: the console's Content-Security-Policy allows only its own scripts.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<AxeViolation[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations)",
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
}

/** The web console in a real browser (Chromium, through playwright-core) against the real platform. */
describeInBrowser('the web console', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let acme: Signalbox;
  const token = testToken({ workspaces: ['acme'], permissions: ['*'], subject: 'console-e2e' });
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get)`);
    platform = await Platform.start({ only: ['data-service', 'compute-runtime'] });
    baseUrl = platform.service('data-service').url;
    acme = new Signalbox({ baseUrl, workspace: 'acme', token });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${message.text()} ${message.location().url}`);
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('serves the app at /console, publicly, with its own routes and a strict CSP; not in the OpenAPI document', async () => {
    const index = await fetch(`${baseUrl}/console/runs/anything`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await index.text()).toContain('<div id="root">');
    expect((await fetch(`${baseUrl}/console/assets/nope.js`)).status).toBe(404);
    const document = (await (await fetch(`${baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
  });

  it('signs in from the link, shows runs appear and finish live, a failed run in detail, and retries it', async () => {
    // The one-click link: the token leaves the address bar and stays in the tab's sessionStorage.
    await page.goto(`${baseUrl}/console/#token=${token}`);
    await page.waitForURL(/\/console\/runs$/);
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).toContain(token);
    await page.getByText('No runs in acme yet').waitFor();
    await page.getByText('Live updates on').waitFor();
    // Marks this document: a reload would lose it.
    await page.evaluate('window.notReloaded = true');

    const suffix = randomUUID().slice(0, 6);
    const ok = await acme.functions.create({
      name: `console-ok-${suffix}`,
      code: 'async function run() { api.log("adding", executionParams.x); return { sum: executionParams.x + 1 }; }',
    });
    const bad = await acme.functions.create({
      name: `console-fails-${suffix}`,
      code: `async function run() {
        const prepared = await api.step('prepare', async () => ({ ready: true }));
        api.log('about to fail', prepared);
        throw new Error('boom from the console test');
      }`,
    });
    const { jobId: okJob } = await acme.triggers.execute(ok.defaultTriggerId, { x: 41 });
    const { jobId: badJob } = await acme.triggers.execute(bad.defaultTriggerId, { x: 0 });

    const okRow = page.locator(`tr[data-job-id="${okJob}"]`);
    const badRow = page.locator(`tr[data-job-id="${badJob}"]`);
    await okRow.locator('[data-status="completed"]').waitFor({ timeout: 20_000 });
    await badRow.locator('[data-status="failed"]').waitFor({ timeout: 20_000 });
    await okRow.getByText(`console-ok-${suffix}`).waitFor();
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await page.getByText('Page 1 of 1 (2 runs)').waitFor();

    // The status filter asks the server for that status only.
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await page.getByText('Page 1 of 1 (1 run)').waitFor();
    expect(await okRow.count()).toBe(0);
    await page.getByLabel('Status').selectOption('');
    await page.getByText('Page 1 of 1 (2 runs)').waitFor();

    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'runs.png'), fullPage: true });

    // The failed run: its error, its steps, its logs, its input.
    await badRow.getByRole('link').click();
    await page.waitForURL(new RegExp(`/console/runs/${badJob}$`));
    await page.getByRole('heading', { level: 1, name: `Run ${badJob}` }).waitFor();
    await page.getByText('boom from the console test').first().waitFor();
    await page.locator('.steps .step-id', { hasText: 'prepare' }).waitFor();
    await page.locator('.logs', { hasText: 'about to fail' }).waitFor();
    expect(await page.getByLabel('Input (executionParams)').textContent()).toContain('"x": 0');
    expect(await page.locator('.badge-memoized').count()).toBe(0);

    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'run-detail.png'), fullPage: true });

    // Retry: queued again; the next attempt fails the same way, its step taken from the first (memoized).
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Queued again: attempt 2.').waitFor();
    await page.locator('.badge-memoized').waitFor({ timeout: 20_000 });
    await page.locator('table tbody tr', { hasText: 'boom from the console test' }).nth(1).waitFor();
    expect((await acme.runs.get(badJob)).attempt).toBe(2);
    expect(pageErrors).toEqual([]);
  });

  it('shows what the API answers for an unknown run, signs out, and signs in with a pasted token', async () => {
    await page.goto(`${baseUrl}/console/runs/${randomUUID()}`);
    await page
      .getByRole('alert')
      .getByText(/NOT_FOUND/)
      .waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in$/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.goto(`${baseUrl}/console/runs`);
    await page.waitForURL(/\/console\/sign-in$/);
    expect(await seriousViolations(page)).toEqual([]);

    // A token pasted into the sign-in form works as the link does.
    await page.getByLabel('Access token (JWT)').fill('not a token');
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.getByText('This is not a token').waitFor();
    await page.getByLabel('Access token (JWT)').fill(token);
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.waitForURL(/\/console\/runs$/);
    await page.getByText('Page 1 of 1 (2 runs)').waitFor();
  });
});
