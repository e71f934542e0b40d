import type { ScheduledTrigger, ScheduleRow } from './schedule.types';
import { applyConfig } from './schedule-config';

const now = new Date('2026-01-01T00:00:10.400Z');
const config = (
  overrides: Partial<ScheduledTrigger> = {},
  metadata: Partial<ScheduledTrigger['triggerMetadata']> = {},
): ScheduledTrigger => ({
  id: '7d3c2f7e-6c0a-4a53-9a0e-3d1b6f1f0a01',
  workspaceSlug: 'acme',
  name: 'tick',
  functionId: '0b7e6a2c-3f3e-4c59-8f43-7c6a3c0e9b11',
  executionType: 'scheduled',
  triggerMetadata: { interval: 5, ...metadata },
  enabled: true,
  isSystem: false,
  version: 1,
  updatedAt: now.toISOString(),
  ...overrides,
});
const applied = (existing: ScheduleRow | undefined, next: ScheduledTrigger, at = now) =>
  applyConfig(existing, next, at)!;

describe('applyConfig', () => {
  it('schedules a new trigger one interval from now, with the default policies', () => {
    const { row, log } = applied(undefined, config());
    expect(row).toMatchObject({
      interval: 5,
      cron: null,
      catchUp: 'one',
      overlap: 'allow',
      dstGap: 'shift',
      nextDueAt: new Date('2026-01-01T00:00:15.000Z'),
      wakeAt: new Date('2026-01-01T00:00:15.000Z'),
    });
    expect(log).toEqual([]);
  });

  it('ignores a version it has already applied (every replica applies every change)', () => {
    const { row } = applied(undefined, config({ version: 3 }));
    expect(applyConfig(row, config({ version: 3 }), now)).toBeNull();
    expect(applyConfig(row, config({ version: 2 }), now)).toBeNull();
  });

  it('keeps the schedule in place when only params or policies change', () => {
    const { row } = applied(undefined, config());
    const later = new Date('2026-01-01T00:00:12.000Z');
    const { row: updated } = applied(row, config({ version: 2 }, { params: { a: 1 }, catchUp: 'all' }), later);
    expect(updated.nextDueAt).toEqual(row.nextDueAt);
    expect(updated.catchUp).toBe('all');
  });

  it('reschedules from now when the interval or cron changes', () => {
    const { row } = applied(undefined, config());
    const later = new Date('2026-01-01T00:00:12.000Z');
    const { row: updated } = applied(row, config({ version: 2 }, { interval: 60 }), later);
    expect(updated.nextDueAt).toEqual(new Date('2026-01-01T00:01:12.000Z'));
    const { row: cron } = applied(updated, config({ version: 3 }, { interval: undefined, cron: '0 * * * *' }), later);
    expect(cron).toMatchObject({ interval: null, cron: '0 * * * *', nextDueAt: new Date('2026-01-01T01:00:00.000Z') });
  });

  it('pauses on disable and, on enable, starts from now and records what was skipped meanwhile', () => {
    const { row } = applied(undefined, config());
    const { row: disabled } = applied(row, config({ version: 2, enabled: false }));
    expect(disabled).toMatchObject({ enabled: false, wakeAt: null, disabledAt: now });
    const enabledAt = new Date('2026-01-01T00:00:31.000Z');
    const { row: enabled, log } = applied(disabled, config({ version: 3 }), enabledAt);
    expect(enabled).toMatchObject({ enabled: true, disabledAt: null, nextDueAt: new Date('2026-01-01T00:00:36.000Z') });
    // Due at 15, 20, 25 and 30 while disabled.
    expect(log).toEqual([
      expect.objectContaining({
        outcome: 'skipped',
        reason: 'disabled',
        count: 4,
        first: new Date('2026-01-01T00:00:15.000Z'),
        last: new Date('2026-01-01T00:00:30.000Z'),
      }),
    ]);
  });

  it('forgets the run it waited for when overlap becomes allow', () => {
    const { row } = applied(undefined, config({}, { overlap: 'skip' }));
    const running = { ...row, runningRunId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' };
    expect(applied(running, config({ version: 2 }, { overlap: 'skip', params: {} })).row.runningRunId).toBe(
      running.runningRunId,
    );
    expect(applied(running, config({ version: 2 })).row.runningRunId).toBeNull();
  });
});
