import type { ConsoleContext } from '../support/console';

export function functionsView(_context: () => ConsoleContext): void {
  describe('functions', () => {
    it.todo('works in the browser');
  });
}
