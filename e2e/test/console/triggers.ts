import type { ConsoleContext } from '../support/console';

export function triggersView(_context: () => ConsoleContext): void {
  describe('triggers', () => {
    it.todo('works in the browser');
  });
}
