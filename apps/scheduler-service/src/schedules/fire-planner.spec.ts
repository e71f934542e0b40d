import { MissedFireReasons } from '@signalbox/contracts';

import { planFires, type ScheduleState } from './fire-planner';

const settings = { graceMs: 2_000, catchUpMax: 5, scanMax: 1_000 };
const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const s = (seconds: number) => new Date(t0 + seconds * 1000);
const secondsOf = (dates: readonly { scheduledAt: Date }[]) => dates.map((d) => (d.scheduledAt.getTime() - t0) / 1000);
const state = (overrides: Partial<ScheduleState> = {}): ScheduleState => ({
  spec: { interval: 1, cron: null, timezone: null, dstGap: 'shift' },
  catchUp: 'one',
  overlap: 'allow',
  nextDueAt: s(10),
  running: false,
  bufferedDueAt: null,
  ...overrides,
});

describe('planFires', () => {
  it('fires a due time reached on time and moves to the next one', () => {
    const plan = planFires(state(), s(10.05), settings);
    expect(secondsOf(plan.fires)).toEqual([10]);
    expect(plan.nextDueAt).toEqual(s(11));
    expect(plan.records).toEqual([]);
  });

  it('fires nothing before the due time', () => {
    const plan = planFires(state(), s(9.9), settings);
    expect(plan.fires).toEqual([]);
    expect(plan.nextDueAt).toEqual(s(10));
  });

  it('runs every due time reached within the grace period, whatever the policy (late, not missed)', () => {
    const plan = planFires(state({ catchUp: 'none' }), s(11.5), settings);
    expect(secondsOf(plan.fires)).toEqual([10, 11]);
    expect(plan.records).toEqual([]);
  });

  describe('after downtime (due times older than the grace period)', () => {
    // Down from 10 s to 20.5 s: 10..18 are missed, 19 and 20 are late.
    it('catchUp none: runs only the late ones and records the missed', () => {
      const plan = planFires(state({ catchUp: 'none' }), s(20.5), settings);
      expect(secondsOf(plan.fires)).toEqual([19, 20]);
      expect(plan.records).toEqual([
        { outcome: 'missed', reason: MissedFireReasons.downtime, count: 9, first: s(10), last: s(18) },
      ]);
      expect(plan.nextDueAt).toEqual(s(21));
    });

    it('catchUp one: the newest missed one runs, standing for the others', () => {
      const plan = planFires(state({ catchUp: 'one', spec: { ...state().spec, interval: 5 } }), s(33), settings);
      // due 10, 15, 20, 25, 30; 30 is 3 s old, so all five are missed.
      expect(plan.fires).toEqual([{ scheduledAt: s(30), catchUpMissed: 4 }]);
      expect(plan.records).toEqual([
        { outcome: 'missed', reason: MissedFireReasons.downtime, count: 4, first: s(10), last: s(25) },
      ]);
      expect(plan.nextDueAt).toEqual(s(35));
    });

    it('catchUp one: the missed ones run once, the late ones run as usual', () => {
      const plan = planFires(state({ catchUp: 'one' }), s(20.5), settings);
      expect(plan.fires).toEqual([
        { scheduledAt: s(18), catchUpMissed: 8 },
        { scheduledAt: s(19) },
        { scheduledAt: s(20) },
      ]);
      expect(plan.records).toEqual([
        { outcome: 'missed', reason: MissedFireReasons.downtime, count: 8, first: s(10), last: s(17) },
      ]);
    });

    it('catchUp all: runs up to catchUpMax missed ones and records the older as beyond the limit', () => {
      const plan = planFires(state({ catchUp: 'all' }), s(20.5), settings);
      expect(secondsOf(plan.fires)).toEqual([14, 15, 16, 17, 18, 19, 20]);
      expect(plan.records).toEqual([
        { outcome: 'missed', reason: MissedFireReasons.catchUpLimit, count: 4, first: s(10), last: s(13) },
      ]);
    });

    it('bounds the scan after a very long downtime and still resumes on the phase', () => {
      const plan = planFires(state({ catchUp: 'all' }), s(10 + 86_400 * 7 + 0.5), { ...settings, scanMax: 100 });
      expect(plan.fires).toHaveLength(settings.catchUpMax + 2);
      const missed = plan.records.reduce((sum, r) => sum + r.count, 0);
      expect(missed + plan.fires.length).toBe(86_400 * 7 + 1);
      expect(plan.nextDueAt).toEqual(s(10 + 86_400 * 7 + 1));
    });

    it('bounds the scan of a cron too', () => {
      const spec = { interval: null, cron: '* * * * * *', timezone: null, dstGap: 'shift' as const };
      const plan = planFires(state({ spec, catchUp: 'one' }), s(10 + 3600.5), { ...settings, scanMax: 100 });
      // 3608 is 2.5 s old (missed: catch-up one runs it for 10..3607); 3609 and 3610 are within the grace.
      expect(plan.fires).toEqual([
        { scheduledAt: s(3608), catchUpMissed: 3598 },
        { scheduledAt: s(3609) },
        { scheduledAt: s(3610) },
      ]);
      const recorded = plan.records.reduce((sum, r) => sum + r.count, 0);
      expect(recorded).toBe(3598);
      expect(plan.records[0]).toMatchObject({ first: s(10) });
      expect(plan.nextDueAt).toEqual(s(3611));
    });
  });

  describe('overlap', () => {
    it('skip: nothing runs while the previous run is unfinished; the due time is recorded as skipped', () => {
      const plan = planFires(state({ overlap: 'skip', running: true }), s(10.1), settings);
      expect(plan.fires).toEqual([]);
      expect(plan.records).toEqual([
        { outcome: 'skipped', reason: MissedFireReasons.overlap, count: 1, first: s(10), last: s(10) },
      ]);
      expect(plan.nextDueAt).toEqual(s(11));
    });

    it('skip: of several due times only the first runs', () => {
      const plan = planFires(state({ overlap: 'skip' }), s(11.5), settings);
      expect(secondsOf(plan.fires)).toEqual([10]);
      expect(plan.records).toEqual([
        { outcome: 'skipped', reason: MissedFireReasons.overlap, count: 1, first: s(11), last: s(11) },
      ]);
    });

    it('buffer-one: keeps the first due time that found a run unfinished, skips later ones', () => {
      const first = planFires(state({ overlap: 'buffer-one', running: true }), s(10.1), settings);
      expect(first.fires).toEqual([]);
      expect(first.bufferedDueAt).toEqual(s(10));
      const second = planFires(
        state({ overlap: 'buffer-one', running: true, nextDueAt: s(11), bufferedDueAt: s(10) }),
        s(11.1),
        settings,
      );
      expect(second.bufferedDueAt).toEqual(s(10));
      expect(second.records).toMatchObject([{ outcome: 'skipped', reason: 'overlap', first: s(11) }]);
    });

    it('buffer-one: the buffered due time runs once the previous run has finished', () => {
      const plan = planFires(
        state({ overlap: 'buffer-one', running: false, nextDueAt: s(12), bufferedDueAt: s(10) }),
        s(11.4),
        settings,
      );
      expect(secondsOf(plan.fires)).toEqual([10]);
      expect(plan.bufferedDueAt).toBeNull();
      expect(plan.nextDueAt).toEqual(s(12));
    });

    it('allow: every due time runs', () => {
      const plan = planFires(state({ running: true }), s(11.5), settings);
      expect(secondsOf(plan.fires)).toEqual([10, 11]);
    });
  });

  it('records dst-gap skips of a cron with dstGap skip', () => {
    const spec = { interval: null, cron: '30 2 * * *', timezone: 'Europe/Berlin', dstGap: 'skip' as const };
    const plan = planFires(
      state({ spec, nextDueAt: new Date('2026-03-28T01:30:00Z') }),
      new Date('2026-03-28T01:30:00.100Z'),
      settings,
    );
    expect(plan.fires).toHaveLength(1);
    expect(plan.nextDueAt).toEqual(new Date('2026-03-30T00:30:00Z'));
    expect(plan.records).toMatchObject([{ outcome: 'skipped', reason: 'dst-gap', count: 1 }]);
  });
});
