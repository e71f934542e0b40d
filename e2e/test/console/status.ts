import type { ConsoleContext } from '../support/console';

export function statusView(_context: () => ConsoleContext): void {
  describe('status', () => {
    it.todo('works in the browser');
  });
}
