import { randomUUID } from 'node:crypto';

import type { Signalbox } from '@signalbox/sdk';

import { type ConsoleContext, fillEditor } from '../support/console';

/** Until `check` answers without throwing (a setup step: the execution plane learns new triggers from NATS). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function scheduleOf(acme: Signalbox, id: string) {
  const { data, response } = await acme.api.GET('/workspace/{workspace}/api/v1/function-triggers/{id}/schedule', {
    params: { path: { workspace: 'acme', id } },
  });
  if (!response.ok || !data) throw new Error(`schedule not ready: ${response.status}`);
  return data;
}

export function triggersView(context: () => ConsoleContext): void {
  describe('triggers', () => {
    it('creates an on-demand trigger (a bad metadata refused at its field), executes it and opens the run', async () => {
      const ctx = context();
      const suffix = randomUUID().slice(0, 6);
      const fn = await ctx.acme.functions.create({
        name: `trig-fn-${suffix}`,
        code: 'async function run() { return { got: executionParams.x, greeting: triggerParams.greeting }; }',
      });
      const page = await ctx.openPage({ path: '/triggers' });
      await page.getByRole('heading', { level: 1, name: 'Triggers' }).waitFor();
      await page.getByRole('button', { name: 'New trigger' }).click();
      const form = page.getByRole('form', { name: 'New trigger' });
      await form.getByLabel('Name').fill(`trig-od-${suffix}`);
      await form.getByRole('option', { name: `trig-fn-${suffix}` }).waitFor({ state: 'attached' });
      await form.getByLabel('Function').selectOption({ label: `trig-fn-${suffix}` });
      await form.getByLabel('Execution type').selectOption('on-demand');

      // A field of another type: refused, the API's message under the metadata, nothing created.
      await fillEditor(form, 'Trigger metadata (JSON)', '{"interval": 5}');
      await form.getByRole('button', { name: 'Create trigger' }).click();
      await form.locator('.field-error', { hasText: 'interval' }).waitFor();
      expect(await form.locator('.cm-content[aria-invalid="true"]').count()).toBe(1);
      expect(await ctx.acme.triggers.findByName(`trig-od-${suffix}`)).toBeUndefined();

      await fillEditor(
        form,
        'Trigger metadata (JSON)',
        '{"params": {"greeting": "hi"}, "inputSchema": {"type": "object", "required": ["x"]}}',
      );
      await form.getByRole('button', { name: 'Create trigger' }).click();
      await page.getByRole('heading', { level: 1, name: `Trigger trig-od-${suffix}` }).waitFor();
      const created = await ctx.acme.triggers.findByName(`trig-od-${suffix}`);
      expect(created).toMatchObject({ executionType: 'on-demand', functionId: fn.id, enabled: true });
      expect(page.url()).toContain(`/console/triggers/${created!.id}`);
      await page.getByRole('row', { name: /created/ }).waitFor();

      // The input breaks the inputSchema: the API's error under the input, no run.
      await fillEditor(page, 'Input (executionParams)', '{"y": 1}');
      await page.getByRole('button', { name: 'Execute' }).click();
      await page.locator('.field-error', { hasText: 'VALIDATION_ERROR' }).waitFor();
      await fillEditor(page, 'Input (executionParams)', '{"x": 41}');
      await page.getByRole('button', { name: 'Execute' }).click();
      const open = page.getByRole('link', { name: 'Open the run' });
      await open.waitFor();
      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'trigger-detail');

      await open.click();
      await page.waitForURL(/\/console\/runs\/[0-9a-f-]{36}$/);
      const jobId = page.url().split('/').pop()!;
      await page.getByRole('heading', { level: 1, name: `Run ${jobId}` }).waitFor();
      const run = await ctx.acme.runs.get(jobId);
      expect(run).toMatchObject({ triggerId: created!.id, executionParams: { x: 41 } });

      // Disable, then enable again.
      await page.goto(`${ctx.baseUrl}/console/triggers/${created!.id}`);
      await page.getByRole('button', { name: 'Disable' }).click();
      await page.locator('.status-line [data-enabled="false"]').waitFor();
      expect((await ctx.acme.triggers.get(created!.id)).enabled).toBe(false);
      expect(await page.getByRole('button', { name: 'Execute' }).isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Enable' }).click();
      await page.locator('.status-line [data-enabled="true"]').waitFor();
      expect((await ctx.acme.triggers.get(created!.id)).enabled).toBe(true);
      await page.getByRole('row', { name: /disabled/ }).waitFor();

      // Edit: a bad value refused at the metadata, then a good one saved as a new version.
      await page.getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByRole('form', { name: 'Edit the trigger' });
      await fillEditor(edit, 'Trigger metadata (JSON)', '{"params": "not an object"}');
      await edit.getByRole('button', { name: 'Save' }).click();
      await edit.locator('.field-error').first().waitFor();
      expect((await ctx.acme.triggers.get(created!.id)).triggerMetadata).toMatchObject({ params: { greeting: 'hi' } });
      await fillEditor(edit, 'Trigger metadata (JSON)', '{"params": {"greeting": "hello"}}');
      await edit.getByRole('button', { name: 'Save' }).click();
      await page.getByLabel('Trigger metadata', { exact: true }).getByText('"hello"').waitFor();
      expect((await ctx.acme.triggers.get(created!.id)).triggerMetadata).toMatchObject({
        params: { greeting: 'hello' },
      });

      // A draft copied from it, published as a new trigger.
      await page.getByRole('button', { name: 'Copy into a draft' }).click();
      await page.waitForURL(/\/console\/triggers\?draft=/);
      const draftForm = page.getByRole('group', { name: /^Draft / });
      await draftForm.getByLabel('Name').fill(`trig-draft-${suffix}`);
      await draftForm.getByRole('button', { name: 'Publish' }).click();
      await page.getByRole('heading', { level: 1, name: `Trigger trig-draft-${suffix}` }).waitFor();
      expect(await ctx.acme.triggers.findByName(`trig-draft-${suffix}`)).toMatchObject({
        functionId: fn.id,
        triggerMetadata: { params: { greeting: 'hello' } },
      });

      // The list, filtered by type and function.
      await page.goto(`${ctx.baseUrl}/console/triggers`);
      await page.getByLabel('Execution type').selectOption('on-demand');
      await page
        .getByRole('option', { name: `trig-fn-${suffix}` })
        .first()
        .waitFor({ state: 'attached' });
      await page.getByLabel('Function').selectOption({ label: `trig-fn-${suffix}` });
      await page.waitForURL(/type=on-demand.*functionId=|functionId=.*type=on-demand/);
      // The function's default trigger, the one created in the form and the published draft.
      await page.getByText('Page 1 of 1 (3 triggers)').waitFor();
      await page.getByRole('link', { name: `trig-od-${suffix}` }).waitFor();
      await page.getByLabel('Execution type').selectOption('scheduled');
      await page.getByText('No trigger matches these filters.').waitFor();
      await page.getByLabel('Execution type').selectOption('');
      await page.getByLabel('Function').selectOption('');
      await page.getByRole('link', { name: `trig-od-${suffix}` }).waitFor();
      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'triggers');
      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });

    it('shows a scheduled trigger’s next fires and a webhook trigger’s URL and samples', async () => {
      const ctx = context();
      const suffix = randomUUID().slice(0, 6);
      const fn = await ctx.acme.functions.create({
        name: `trig-fn2-${suffix}`,
        code: 'async function run() { return { ok: true }; }',
      });
      const scheduled = await ctx.acme.triggers.create({
        name: `trig-sched-${suffix}`,
        functionId: fn.id,
        executionType: 'scheduled',
        triggerMetadata: { cron: '0 3 * * *', timezone: 'Europe/Berlin' },
      });
      // The scheduler learns the trigger from NATS: wait until it answers (the page would show its 503).
      await eventually(() => scheduleOf(ctx.acme, scheduled.id));

      const page = await ctx.openPage({ path: `/triggers/${scheduled.id}` });
      await page.getByRole('heading', { level: 1, name: `Trigger trig-sched-${suffix}` }).waitFor();
      await page.getByText('on cron 0 3 * * * (Europe/Berlin)').waitFor();
      const fires = page.getByRole('list', { name: 'Next fire times' }).getByRole('listitem');
      await fires.first().waitFor();
      expect(await fires.count()).toBe(10);
      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'trigger-scheduled');

      // Disabled, it has no next fires.
      await page.getByRole('button', { name: 'Disable' }).click();
      await page.getByText('None: the trigger is disabled.').waitFor({ timeout: 20_000 });
      expect((await ctx.acme.triggers.get(scheduled.id)).enabled).toBe(false);

      const gateway = ctx.platform.service('webhook-gateway').url;
      const hook = await ctx.acme.triggers.create({
        name: `trig-hook-${suffix}`,
        functionId: fn.id,
        executionType: 'webhook',
        triggerMetadata: { path: `/console-${suffix}` },
      });
      const url = `${gateway}/workspace/acme/api/v1/webhook/console-${suffix}`;
      await eventually(async () => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ order: suffix }),
        });
        if (response.status !== 202) throw new Error(`gateway answered ${response.status}`);
      });
      await eventually(async () => {
        const { data } = await ctx.acme.api.GET('/workspace/{workspace}/api/v1/function-triggers/{id}/test-samples', {
          params: { path: { workspace: 'acme', id: hook.id } },
        });
        if (!data?.samples.length) throw new Error('no sample recorded yet');
      });

      await page.goto(`${ctx.baseUrl}/console/triggers/${hook.id}`);
      await page.getByRole('heading', { level: 1, name: `Trigger trig-hook-${suffix}` }).waitFor();
      await page.getByText(`/workspace/acme/api/v1/webhook/console-${suffix}`).waitFor();
      await page.getByLabel('Webhook gateway origin').fill(gateway);
      await page.locator('.trigger-url', { hasText: url }).waitFor();
      await page.getByText(`${gateway}/workspace/acme/api/v1/webhook/by-id/${hook.id}`).waitFor();
      await page
        .getByLabel(/^Request 1: POST /)
        .getByText(`"order": "${suffix}"`)
        .waitFor();
      expect(await ctx.seriousViolations(page)).toEqual([]);
      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}
