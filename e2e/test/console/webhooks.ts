import { createHmac, randomUUID } from 'node:crypto';

import { waitFor } from '@signalbox/testing';

import type { ConsoleContext } from '../support/console';
import { Receiver } from '../support/receiver';

export function webhooksView(context: () => ConsoleContext): void {
  describe('webhooks', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await Receiver.start();
    });
    afterAll(() => receiver.stop());

    it('creates a subscription, shows a failed delivery with its attempts live, replays it, tests and rotates', async () => {
      const ctx = context();
      const suffix = randomUUID().slice(0, 6);
      const name = `console-hook-${suffix}`;
      const path = `/console-hook-${suffix}`;
      let failing = true;
      const url = receiver.on(path, () =>
        failing ? { status: 500, body: 'receiver is down' } : { status: 200, body: 'thanks' },
      );

      const page = await ctx.openPage({ path: '/webhooks' });
      await page.getByRole('heading', { level: 1, name: 'Outbound webhooks' }).waitFor();
      await page.getByRole('button', { name: 'New subscription' }).click();
      const form = page.locator('form', { has: page.getByRole('heading', { name: 'New subscription' }) });
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('URL', { exact: true }).fill('not a url');
      await form.getByLabel('function.failed').check();
      await form.getByLabel('Retry schedule (seconds)').fill('1');

      // Bad input: the API's error next to the URL field, and nothing created.
      await form.getByRole('button', { name: 'Create subscription' }).click();
      await form
        .locator('.field', { has: page.getByLabel('URL', { exact: true }) })
        .getByRole('alert')
        .waitFor();
      expect(await form.locator('.field', { hasText: 'URL' }).getByRole('alert').textContent()).toContain(
        'absolute http(s) URL',
      );
      const listed = async () => {
        const names: string[] = [];
        for await (const webhook of ctx.acme.webhooks.list()) names.push(webhook.name);
        return names;
      };
      expect(await listed()).not.toContain(name);

      await form.getByLabel('URL', { exact: true }).fill(url);
      await form.getByRole('button', { name: 'Create subscription' }).click();
      const shown = page.getByRole('region', { name: 'Signing secret of the new subscription' });
      await shown.waitFor();
      const secret = (await shown.locator('[data-secret]').textContent()) ?? '';
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      await shown.getByText('you will not see it again').waitFor();
      const row = page.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
      await row.getByText('enabled').waitFor();
      expect(await row.textContent()).toContain(secret.slice(0, 10));
      expect(await row.textContent()).toContain('function.failed');

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'webhooks');

      // The detail: a function that throws makes a function.failed event, delivered to a receiver that answers 500.
      await row.getByRole('link', { name }).click();
      await page.getByRole('heading', { level: 1, name: `Outbound webhook ${name}` }).waitFor();
      await page.getByText('New attempts appear as they happen.').waitFor();
      await page.getByText('No deliveries yet').waitFor();
      const fn = await ctx.acme.functions.create({
        name: `console-hook-fails-${suffix}`,
        code: 'async function run() { throw new Error("boom for the webhook"); }',
      });
      await ctx.acme.triggers.execute(fn.defaultTriggerId, {});

      const failed = page.locator('tr[data-status="failed"]');
      await failed.waitFor({ timeout: 30_000 });
      expect(await failed.locator('td').nth(1).textContent()).toBe('function.failed');
      await failed.getByRole('button', { name: /^Attempts of delivery/ }).click();
      const attempts = page.locator('.attempts-table tbody tr');
      await attempts.nth(1).waitFor();
      expect(await attempts.count()).toBe(2);
      for (const attempt of await attempts.all()) {
        expect(await attempt.locator('td').nth(2).textContent()).toBe('500');
        expect(await attempt.textContent()).toContain('receiver is down');
      }
      expect(await page.locator('.attempts').textContent()).toContain('boom for the webhook');

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'webhook-detail');

      // The receiver is fixed: replaying the delivery delivers it, as a new delivery of the same event.
      failing = false;
      const failedId = (await failed.getAttribute('data-delivery-id')) ?? '';
      await failed.getByRole('button', { name: `Replay delivery ${failedId}` }).click();
      await failed.getByText('Replayed as').waitFor();
      const delivered = page.locator('tr[data-status="delivered"]');
      await delivered.first().waitFor({ timeout: 20_000 });
      expect(await delivered.first().textContent()).toContain(`replay of ${failedId.slice(0, 8)}`);

      // Replay every failed delivery since an hour ago: the same failed one, delivered again.
      await page.getByRole('button', { name: 'Replay failed deliveries' }).click();
      await page.getByText('Replayed 1 delivery.').waitFor();
      await delivered.nth(1).waitFor({ timeout: 20_000 });
      const eventIds = receiver.at(path).map((request) => (JSON.parse(request.body) as { id: string }).id);
      expect(eventIds).toHaveLength(4);
      expect(new Set(eventIds).size).toBe(1);

      // The status filter asks the server.
      await page.getByLabel('Status', { exact: true }).selectOption('failed');
      await page.getByText('Page 1 of 1 (1 delivery)').waitFor();
      await page.getByLabel('Status', { exact: true }).selectOption('');
      await page.getByText('Page 1 of 1 (3 deliveries)').waitFor();

      // Send test: one attempt now, answered at once.
      await page.getByRole('button', { name: 'Send test' }).click();
      await page.getByText('Test delivered: 200').waitFor();

      // Rotate: a new secret shown once; the next delivery is signed with it.
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const rotated = page.getByRole('region', { name: 'New signing secret' });
      await rotated.waitFor();
      const newSecret = (await rotated.locator('[data-secret]').textContent()) ?? '';
      expect(newSecret).toMatch(/^whsec_/);
      expect(newSecret).not.toBe(secret);
      await page.locator('[data-secret-hint]', { hasText: newSecret.slice(0, 10) }).waitFor();
      const before = receiver.at(path).length;
      await page.getByRole('button', { name: 'Send test' }).click();
      // The first test's "Test delivered: 200" is still on the page: wait for the receiver instead.
      const test = await waitFor(() => Promise.resolve(receiver.at(path)[before]), 10_000, 'the second test delivery');
      expect(JSON.parse(test.body)).toMatchObject({ event: 'webhook.test' });
      const hmac = (key: string) => `sha256=${createHmac('sha256', key).update(test.body).digest('hex')}`;
      expect(test.headers['x-centrali-signature']).toBe(hmac(newSecret));
      expect(test.headers['x-centrali-signature-previous']).toBe(hmac(secret));

      // Edit, disable and enable again.
      const edit = page.locator('form', { has: page.getByRole('button', { name: 'Save changes' }) });
      await edit.getByLabel('Name', { exact: true }).fill(`${name}-renamed`);
      await edit.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('heading', { level: 1, name: `Outbound webhook ${name}-renamed` }).waitFor();
      await page.getByRole('button', { name: 'Disable', exact: true }).click();
      await page.locator('.status-line .badge-disabled').waitFor();
      expect((await ctx.acme.webhooks.get(idOf(page.url()))).enabled).toBe(false);
      await page.getByRole('button', { name: 'Enable', exact: true }).click();
      await page.locator('.status-line .badge-enabled').waitFor();

      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}

/** The subscription id of a detail page's address. */
function idOf(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? '';
}
