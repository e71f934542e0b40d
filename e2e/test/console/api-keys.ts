import type { ConsoleContext } from '../support/console';

export function apiKeysView(_context: () => ConsoleContext): void {
  describe('api-keys', () => {
    it.todo('works in the browser');
  });
}
