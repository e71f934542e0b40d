import { randomUUID } from 'node:crypto';

import { queryDatabase } from '@signalbox/testing';

import { type ConsoleContext, fillEditor, TRACE_VIEWER } from '../support/console';

export function runsView(context: () => ConsoleContext): void {
  describe('runs', () => {
    it('signs in from the link, shows runs appear and finish live, a failed run in detail, and retries it', async () => {
      const ctx = context();
      const { acme, token } = ctx;
      const page = await ctx.openPage({ signedIn: false });
      // The one-click link: the token leaves the address bar and stays in the tab's sessionStorage.
      await page.goto(`${ctx.baseUrl}/console/#token=${token}`);
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
      await page.getByLabel('Status', { exact: true }).selectOption('failed');
      await page.waitForURL(/status=failed/);
      await page.getByText('Page 1 of 1 (1 run)').waitFor();
      expect(await okRow.count()).toBe(0);
      await page.getByLabel('Status', { exact: true }).selectOption('');
      await page.getByText('Page 1 of 1 (2 runs)').waitFor();

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'runs');

      // The failed run: its error, its steps, its logs, its input.
      await badRow.getByRole('link').click();
      await page.waitForURL(new RegExp(`/console/runs/${badJob}$`));
      await page.getByRole('heading', { level: 1, name: `Run ${badJob}` }).waitFor();
      await page.getByText('boom from the console test').first().waitFor();
      await page.locator('.steps .step-id', { hasText: 'prepare' }).waitFor();
      await page.locator('.logs', { hasText: 'about to fail' }).waitFor();
      expect(await page.getByLabel('Input (executionParams)', { exact: true }).textContent()).toContain('"x": 0');
      expect(await page.locator('.badge-memoized').count()).toBe(0);

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'run-detail');

      // Retry: queued again; the next attempt fails the same way, its step taken from the first (memoized).
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.getByText('Queued again: attempt 2.').waitFor();
      await page.locator('.badge-memoized').waitFor({ timeout: 20_000 });
      await page.locator('table tbody tr', { hasText: 'boom from the console test' }).nth(1).waitFor();
      expect((await acme.runs.get(badJob)).attempt).toBe(2);
      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });

    it('cancels a running run from its page: stopped, and shown cancelled', async () => {
      const ctx = context();
      const { acme } = ctx;
      const busy = await acme.functions.create({
        name: `console-busy-${randomUUID().slice(0, 6)}`,
        timeoutMs: 30_000,
        code: 'async function run() { const until = Date.now() + 25000; while (Date.now() < until) {} return 1; }',
      });
      const { jobId } = await acme.triggers.execute(busy.defaultTriggerId, {});
      // Its trace (tracing is off here: the one a traced platform would have stored) is linked to the viewer.
      const traceId = randomUUID().replaceAll('-', '');
      await queryDatabase(ctx.platform.database.url, `UPDATE runtime.runs SET traceparent = $2 WHERE id = $1`, [
        jobId,
        `00-${traceId}-${'ab'.repeat(8)}-01`,
      ]);
      const page = await ctx.openPage();
      await page.goto(`${ctx.baseUrl}/console/runs/${jobId}`);
      await page.locator('.status-line [data-status="running"]').waitFor({ timeout: 20_000 });
      const trace = page.getByRole('link', { name: traceId });
      expect(await trace.getAttribute('href')).toBe(TRACE_VIEWER.replace('{traceId}', traceId));
      await page.getByRole('button', { name: 'Cancel run' }).click();
      await page.getByText('Cancelled.').waitFor();
      await page.locator('.status-line [data-status="cancelled"]').waitFor();
      expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Retry' }).waitFor(); // a cancelled run can be retried
      expect((await acme.runs.get(jobId)).status).toBe('cancelled');
      expect(await ctx.seriousViolations(page)).toEqual([]);
      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });

    it('filters runs by function, execution type, time and search, and re-runs one with an edited input', async () => {
      const ctx = context();
      const { acme } = ctx;
      const suffix = randomUUID().slice(0, 6);
      const fn = await acme.functions.create({
        name: `console-filter-${suffix}`,
        code: 'async function run() { return executionParams; }',
      });
      const key = `order-${suffix}`;
      const first = await acme.triggers.execute(fn.defaultTriggerId, { n: 1 }, { idempotencyKey: key });
      const second = await acme.triggers.execute(fn.defaultTriggerId, { n: 2 });
      await Promise.all([acme.runs.waitFor(first.jobId), acme.runs.waitFor(second.jobId)]);

      const page = await ctx.openPage();
      await page.getByLabel('Function', { exact: true }).selectOption({ label: fn.name });
      await page.waitForURL(new RegExp(`functionId=${fn.id}`));
      await page.getByText('Page 1 of 1 (2 runs)').waitFor();
      await page.getByLabel('Execution type').selectOption('webhook');
      await page.getByText('No runs in acme match these filters.').waitFor();
      await page.getByLabel('Execution type').selectOption('on-demand');
      await page.getByText('Page 1 of 1 (2 runs)').waitFor();

      // A search is an idempotency key, or a job id when it looks like one.
      await page.getByLabel('Job id or idempotency key').fill(key);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('Page 1 of 1 (1 run)').waitFor();
      await page.locator(`tr[data-job-id="${first.jobId}"]`).waitFor();
      await page.getByLabel('Job id or idempotency key').fill(second.jobId);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.locator(`tr[data-job-id="${second.jobId}"]`).waitFor();
      await page.getByText('Page 1 of 1 (1 run)').waitFor();
      await page.getByLabel('Job id or idempotency key').fill('');
      await page.getByLabel('Queued from').fill('2099-01-01T00:00:00');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('No runs in acme match these filters.').waitFor();
      expect(await ctx.seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.waitForURL(/\/console\/runs$/);

      // Re-run with an edited input: refused when not an object, then a new run with the new input.
      await page.goto(`${ctx.baseUrl}/console/runs/${second.jobId}`);
      await page.getByText('Re-run with an edited input').click();
      await fillEditor(page, 'Input for the new run', '[1, 2]');
      await page.getByRole('button', { name: 'Run again with this input' }).click();
      await page.getByText('The input must be a JSON object.').waitFor();
      await fillEditor(page, 'Input for the new run', '{ "n": 3 }');
      await page.getByRole('button', { name: 'Run again with this input' }).click();
      await page.waitForURL(
        (url) => /\/console\/runs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(second.jobId),
      );
      const rerun = page.url().split('/').pop()!;
      expect((await acme.runs.waitFor(rerun)).result).toEqual({ n: 3 });
      await page.getByLabel('Input (executionParams)', { exact: true }).getByText('"n": 3').waitFor();
      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}
