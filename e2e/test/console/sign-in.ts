import { randomUUID } from 'node:crypto';

import type { ConsoleContext } from '../support/console';

export function signIn(context: () => ConsoleContext): void {
  describe('sign-in', () => {
    it('shows what the API answers for an unknown run, signs out, and signs in with a pasted token', async () => {
      const ctx = context();
      const page = await ctx.openPage({ path: `/runs/${randomUUID()}` });
      await page
        .getByRole('alert')
        .getByText(/NOT_FOUND/)
        .waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/console\/sign-in$/);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await page.goto(`${ctx.baseUrl}/console/runs`);
      await page.waitForURL(/\/console\/sign-in$/);
      expect(await ctx.seriousViolations(page)).toEqual([]);

      // A token pasted into the sign-in form works as the link does.
      await page.getByLabel('Access token (JWT)').fill('not a token');
      await page.getByRole('button', { name: 'Sign in with token' }).click();
      await page.getByText('This is not a token').waitFor();
      await page.getByLabel('Access token (JWT)').fill(ctx.token);
      await page.getByRole('button', { name: 'Sign in with token' }).click();
      await page.waitForURL(/\/console\/runs$/);
      await page.getByRole('heading', { level: 1, name: 'Runs' }).waitFor();
      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}
