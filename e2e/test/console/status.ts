import type { ConsoleContext } from '../support/console';

export function statusView(context: () => ConsoleContext): void {
  describe('status', () => {
    it('lists the five services, each ready, with its version and dependencies', async () => {
      const ctx = context();
      const page = await ctx.openPage({ path: '/status' });
      await page.getByRole('heading', { level: 1, name: 'Status' }).waitFor();
      await page.getByText('All services ready').waitFor();
      const rows = page.locator('tr[data-service]');
      const names = await Promise.all((await rows.all()).map((row) => row.getAttribute('data-service')));
      expect(names.sort()).toEqual([
        'compute-runtime',
        'data-service',
        'event-router',
        'scheduler-service',
        'webhook-gateway',
      ]);
      for (const row of await rows.all()) {
        expect(await row.getAttribute('data-ready')).toBe('true');
        expect(await row.locator('td').first().textContent()).toBe('ready');
        expect(await row.locator('td').nth(1).textContent()).toMatch(/\d+\.\d+/);
      }
      expect(await page.locator('tr[data-service="data-service"]').textContent()).toMatch(/: ok/);

      expect(await ctx.seriousViolations(page)).toEqual([]);
      await ctx.screenshot(page, 'status');
      expect(ctx.pageErrors(page)).toEqual([]);
      await page.close();
    });
  });
}
