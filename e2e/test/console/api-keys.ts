import { randomUUID } from 'node:crypto';

import type { ConsoleContext } from '../support/console';

export function apiKeysView(context: () => ConsoleContext): void {
  describe('api-keys', () => {
    it('creates a key with scopes, shows it once, and revokes it after a confirmation', async () => {
      const ctx = context();
      const name = `console-key-${randomUUID().slice(0, 6)}`;
      const call = (key: string) =>
        fetch(`${ctx.baseUrl}/workspace/acme/api/v1/webhooks`, { headers: { 'x-api-key': key } });

      const page = await ctx.openPage({ path: '/api-keys' });
      await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
      const form = page.locator('form', { has: page.getByRole('heading', { name: 'New API key' }) });
      await form.getByLabel('Name', { exact: true }).fill(name);

      // Bad input: no scope. The API's error is shown by the scopes; nothing is created.
      await form.getByRole('button', { name: 'Create key' }).click();
      await form.locator('fieldset').getByRole('alert').waitFor();
      await page.locator('table.api-keys, .empty').first().waitFor();
      expect(await page.locator('tr', { hasText: name }).count()).toBe(0);

      await form.getByLabel('webhooks:read', { exact: true }).check();
      await form.getByRole('button', { name: 'Create key' }).click();
      const shown = page.getByRole('region', { name: `API key ${name}` });
      await shown.waitFor();
      await shown.getByText('you will not see it again').waitFor();
      const key = (await shown.locator('[data-secret]').textContent()) ?? '';
      expect(key).toMatch(/^sbk_[0-9a-f]{12}_/);
      const row = page.locator('tr', { hasText: name });
      await row.waitFor();
      expect(await row.textContent()).toContain('webhooks:read');
      expect(await row.textContent()).toContain(key.split('_').slice(0, 2).join('_'));
      expect((await call(key)).status).toBe(200);

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'api-keys');

      // Shown once: after a reload the key is nowhere on the page.
      await page.reload();
      await row.waitFor();
      expect(await page.getByText(key).count()).toBe(0);

      // Revoke, confirmed: the row goes, and the key is refused.
      await row.getByRole('button', { name: `Revoke ${name}…` }).click();
      const confirm = page.getByRole('group', { name: `Confirm revoking ${name}` });
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      expect((await call(key)).status).toBe(200);
      await row.getByRole('button', { name: `Revoke ${name}…` }).click();
      await confirm.getByRole('button', { name: 'Revoke key' }).click();
      await row.waitFor({ state: 'detached' });
      expect((await call(key)).status).toBe(401);

      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}
