import type { ConsoleContext } from '../support/console';

export function eventsView(_context: () => ConsoleContext): void {
  describe('events', () => {
    it.todo('works in the browser');
  });
}
