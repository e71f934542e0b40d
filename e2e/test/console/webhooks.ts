import type { ConsoleContext } from '../support/console';

export function webhooksView(_context: () => ConsoleContext): void {
  describe('webhooks', () => {
    it.todo('works in the browser');
  });
}
