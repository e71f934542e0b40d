import { eventIdOf } from './execution.service';

describe('eventIdOf (the platform event id JetStream de-duplicates by)', () => {
  const run = { jobId: 'r-1', attempt: 2 };

  it('is the same when a final status is announced again', () => {
    expect(eventIdOf(run, 'completed', '2026-12-07T10:00:00.000Z')).toBe('run.r-1.2.completed');
    expect(eventIdOf(run, 'failed', null)).toBe('run.r-1.2.failed');
    expect(eventIdOf(run, 'cancelled', '2026-12-07T10:00:00.000Z')).toBe(
      eventIdOf(run, 'cancelled', '2026-12-07T10:00:00.000Z'),
    );
  });

  it('differs for a second cancel of one attempt number (cancelled, retried, cancelled again before it started)', () => {
    expect(eventIdOf(run, 'cancelled', '2026-12-07T10:00:00.000Z')).not.toBe(
      eventIdOf(run, 'cancelled', '2026-12-07T10:00:05.000Z'),
    );
  });
});
