import { randomUUID } from 'node:crypto';

import type { Page } from 'playwright-core';

import { type ConsoleContext, fillEditor } from '../support/console';

/** Replaces the function's code in the editor and waits until the editor shows it. */
async function replaceCode(page: Page, code: string, label = 'Function code'): Promise<void> {
  await fillEditor(page, label, code);
  const lines = code.split('\n');
  await page
    .locator(`.cm-content[aria-label="${label}"] .cm-line`, { hasText: lines[1] ?? lines[0] })
    .first()
    .waitFor();
}

export function functionsView(context: () => ConsoleContext): void {
  describe('functions', () => {
    it('creates a function, refuses bad code next to the editor, saves a version, diffs it, shows its triggers and runs, deletes it', async () => {
      const ctx = context();
      const { acme } = ctx;
      const suffix = randomUUID().slice(0, 8);
      const name = `console-fn-${suffix}`;
      const page = await ctx.openPage({ path: '/functions' });
      await page.getByRole('heading', { level: 1, name: 'Functions' }).waitFor();

      // New function: an empty name is refused next to the name field, bad code next to the editor; nothing saved.
      await page.getByRole('button', { name: 'New function' }).click();
      await page.locator('.cm-content[aria-label="Function code"]').waitFor();
      expect(await page.locator('.cm-content[aria-label="Function code"]').textContent()).toContain(
        'async function run()',
      );
      await page.getByRole('button', { name: 'Create function' }).click();
      const nameField = page.getByRole('textbox', { name: 'Name', exact: true });
      await page.locator('.field', { has: nameField }).getByRole('alert').waitFor();
      expect(await nameField.getAttribute('aria-invalid')).toBe('true');

      await nameField.fill(name);
      await page.getByLabel('Description', { exact: true }).fill('Made in the console test');
      await replaceCode(page, 'async function run() {\n  return { broken: ;\n}');
      await page.getByRole('button', { name: 'Create function' }).click();
      const codeError = page.locator('.field', { has: page.locator('.cm-editor') }).getByRole('alert');
      await codeError.waitFor();
      expect(await codeError.textContent()).toMatch(/line 2/);
      expect(await page.locator('.cm-content[aria-label="Function code"]').getAttribute('aria-describedby')).toBe(
        await codeError.getAttribute('id'),
      );
      expect(await acme.functions.findByName(name)).toBeUndefined();

      await replaceCode(page, 'async function run() {\n  return { version: 1, x: executionParams.x };\n}');
      await page.getByRole('button', { name: 'Create function' }).click();
      await page.waitForURL(/\/console\/functions\/[0-9a-f-]{36}$/);
      const created = await acme.functions.findByName(name);
      expect(created).toBeDefined();
      const fn = created!;
      expect(page.url()).toMatch(new RegExp(`/functions/${fn.id}$`));
      await page.getByRole('heading', { level: 1, name: `Function ${name}` }).waitFor();
      await page.locator('.facts', { hasText: 'Made in the console test' }).waitFor();

      // Save as new version: bad code is refused next to the editor and leaves version 1 as it was.
      await page.locator('.cm-content[aria-label="Function code"]').waitFor();
      await replaceCode(page, 'async function run() {\n  return { version: 2 ;\n}');
      await page.getByRole('button', { name: 'Save as new version' }).click();
      await codeError.waitFor();
      expect(await codeError.textContent()).toMatch(/line 2/);
      expect((await acme.functions.get(fn.id)).version).toBe(1);

      await replaceCode(page, 'async function run() {\n  return { version: 2, x: executionParams.x };\n}');
      await page.getByRole('button', { name: 'Save as new version' }).click();
      await page.getByText('Saved as version 2.').waitFor();
      expect(await codeError.count()).toBe(0);
      const saved = await acme.functions.get(fn.id);
      expect(saved.version).toBe(2);
      expect(saved.code).toContain('version: 2');

      // Two versions, with who and when; the diff of version 1 against the current code.
      await page.locator('tr[data-version="2"]', { hasText: 'console-e2e' }).waitFor();
      await page.locator('tr[data-version="1"]', { hasText: 'created' }).waitFor();
      const diff = page.getByRole('group', { name: 'Code of v1 and of the current v2' });
      await diff.waitFor();
      await diff.locator('.cm-changedLine', { hasText: 'version: 1' }).waitFor();
      await diff.locator('.cm-changedLine', { hasText: 'version: 2' }).waitFor();

      // Its triggers: the default on-demand one, linked; and the link to its runs.
      const triggerRow = page.locator(`tr[data-trigger-id="${fn.defaultTriggerId}"]`);
      await triggerRow.getByText('(default)').waitFor();
      expect(await triggerRow.getByRole('link').getAttribute('href')).toBe(`/console/triggers/${fn.defaultTriggerId}`);
      expect(await page.getByRole('link', { name: 'Runs of this function' }).getAttribute('href')).toBe(
        `/console/runs?functionId=${fn.id}`,
      );

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'function-detail');

      // One run of its default trigger: the list shows it in the 24 h volume.
      const { jobId } = await acme.triggers.execute(fn.defaultTriggerId, { x: 7 });
      expect((await acme.runs.waitFor(jobId)).status).toBe('completed');
      await page.getByRole('link', { name: '← All functions' }).click();
      await page.getByRole('heading', { level: 1, name: 'Functions' }).waitFor();
      await page.getByLabel('Search by name').fill(suffix);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(new RegExp(`search=${suffix}`));
      await page.getByText('Page 1 of 1 (1 function)').waitFor();
      const row = page.locator(`tr[data-function-id="${fn.id}"]`);
      await row.getByRole('link', { name }).waitFor();
      await row.getByText('v2').waitFor();
      // Runs (24 h) is the fifth column, the failure rate the sixth.
      await row.locator('td:nth-child(5)', { hasText: /^1$/ }).waitFor();
      await row.locator('td:nth-child(6)', { hasText: /^0 %$/ }).waitFor();

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'functions');

      // A search that matches nothing says so.
      await page.getByLabel('Search by name').fill(`nothing-${suffix}`);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText(`has a name containing “nothing-${suffix}”`).waitFor();

      // Delete, confirmed: back to the list, and the function is gone.
      await page.goto(`${ctx.baseUrl}/console/functions/${fn.id}`);
      await page.getByRole('button', { name: 'Delete function…' }).click();
      await page.getByText('This cannot be undone.').waitFor();
      expect((await acme.functions.get(fn.id)).id).toBe(fn.id);
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      await page.waitForURL(/\/console\/functions$/);
      await expect(acme.functions.get(fn.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

      // An unknown function: the API's NOT_FOUND.
      await page.goto(`${ctx.baseUrl}/console/functions/${randomUUID()}`);
      await page
        .getByRole('alert')
        .getByText(/NOT_FOUND/)
        .waitFor();

      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}
