import { randomUUID } from 'node:crypto';

import { sleep, waitFor } from '@signalbox/testing';

import { type ConsoleContext, fillEditor } from '../support/console';

export function eventsView(context: () => ConsoleContext): void {
  describe('events', () => {
    it('shows record events live with their runs, publishes a test event, refuses bad data, and replays a window', async () => {
      const ctx = context();
      const { acme } = ctx;
      const suffix = randomUUID().slice(0, 6);
      const recordSlug = `orders-${suffix}`;
      const fn = await acme.functions.create({
        name: `console-event-${suffix}`,
        code: 'async function run() { return { record: executionParams.recordId }; }',
      });
      const trigger = await acme.triggers.create({
        name: `console-on-${recordSlug}`,
        functionId: fn.id,
        executionType: 'event-driven',
        triggerMetadata: { event: 'record_created', recordSlug },
      });
      // The router learns of the trigger through its KV watch.
      await sleep(500);

      const page = await ctx.openPage({ path: '/events' });
      await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
      await page.getByText('Only events that arrive while this page is open are shown').waitFor();
      await page.locator('[data-events-live="live"]').waitFor();
      const data = page.locator('.cm-content[aria-label="Data (JSON)"]');
      await data.waitFor();

      // Bad input: data that is not an object. The API's error shows under the Data field; nothing is published.
      await page.getByLabel('Event type').selectOption('record_created');
      await page.getByLabel('Record slug').fill(recordSlug);
      await page.getByLabel('Record id').fill('bad-1');
      await fillEditor(page, 'Data (JSON)', '[1, 2]');
      await page.getByRole('button', { name: 'Publish event' }).click();
      const dataError = page.locator('.field', { has: data }).locator('.field-error');
      await dataError.waitFor();
      expect(await dataError.textContent()).toMatch(/object/i);
      expect(await data.getAttribute('aria-invalid')).toBe('true');

      // A good event: it appears in the live table with the run it started.
      await fillEditor(page, 'Data (JSON)', '{"total": 120}');
      await page.getByLabel('Record id').fill(`rec-${suffix}`);
      await page.getByRole('button', { name: 'Publish event' }).click();
      const published = page.getByText('Published event');
      await published.waitFor();
      expect(await dataError.count()).toBe(0);
      const eventId = (await published.locator('.mono').textContent()) ?? '';
      expect(eventId).not.toBe('');
      const row = page.locator(`tr[data-event-id="${eventId}"]`);
      await row.waitFor({ timeout: 20_000 });
      expect(await row.textContent()).toContain(`${recordSlug} / rec-${suffix}`);
      expect(await row.textContent()).toContain('record_created');
      const runLink = row.getByRole('link', { name: /^Run / });
      expect(await runLink.count()).toBe(1);
      const jobId = ((await runLink.getAttribute('aria-label')) ?? '').replace(/^Run /, '');
      await row.getByText(trigger.name).waitFor();
      // Only the refused event was not routed: the table holds no row of it.
      expect(await page.locator('tr', { hasText: 'bad-1' }).count()).toBe(0);

      // An event no trigger matches: listed, with no run.
      await page.getByLabel('Record slug').fill(`nobody-${suffix}`);
      await page.getByRole('button', { name: 'Publish event' }).click();
      await page
        .locator('tr', { hasText: `nobody-${suffix}` })
        .getByText('none: no trigger matched')
        .waitFor();

      // Replay the last few minutes for the trigger: one stored event matches it, one new run.
      await page.getByLabel('Event-driven trigger').selectOption(trigger.id);
      const since = await page.evaluate(() => {
        const date = new Date(Date.now() - 5 * 60_000);
        const pad = (n: number) => String(n).padStart(2, '0');
        return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
      });
      await page.getByLabel('Since').fill(since);
      // Bad window first: it ends before it starts, said next to Until, nothing sent.
      await page.getByLabel('Until (empty: now)').fill(`${since.slice(0, 10)}T00:00:00`);
      await page.getByRole('button', { name: 'Replay', exact: true }).click();
      await page.getByText('The window must end after it starts.').waitFor();
      await page.getByLabel('Until (empty: now)').fill('');
      await page.getByRole('button', { name: 'Replay', exact: true }).click();
      await page.locator('.events-replay[data-status="completed"]').waitFor({ timeout: 30_000 });
      expect(await page.locator('.events-replay').textContent()).toContain('1 run started');

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'events');

      // The run link leads to the run the event started.
      await waitFor(() => acme.runs.get(jobId).catch(() => undefined), 20_000, `run ${jobId} recorded`);
      await runLink.click();
      await page.waitForURL(new RegExp(`/console/runs/${jobId}$`));
      await page.getByRole('heading', { level: 1, name: `Run ${jobId}` }).waitFor();
      expect((await acme.runs.get(jobId)).triggerId).toBe(trigger.id);

      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}
