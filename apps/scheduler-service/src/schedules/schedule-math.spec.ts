import { firstDue, nextCron, nextDue, type ScheduleSpec, toWall, upcoming, wallToInstants } from './schedule-math';

const cron = (expression: string, timezone: string | null, dstGap: 'shift' | 'skip' = 'shift'): ScheduleSpec => ({
  interval: null,
  cron: expression,
  timezone,
  dstGap,
});
const at = (iso: string) => new Date(iso);
const iso = (date: Date | undefined | null) => date?.toISOString();
/** The next `count` fires strictly after `from` (a fake clock: every call gets its instant explicitly). */
const fires = (spec: ScheduleSpec, from: string, count: number) => {
  const out: string[] = [];
  let time = at(from);
  for (let i = 0; i < count; i++) {
    const next = nextDue(spec, time);
    if (!next) break;
    out.push(next.at.toISOString());
    time = next.at;
  }
  return out;
};

describe('interval schedules', () => {
  const every = (interval: number): ScheduleSpec => ({ interval, cron: null, timezone: null, dstGap: 'shift' });

  it('start one interval after the whole second of creation and keep their phase', () => {
    expect(iso(firstDue(every(60), at('2026-01-01T00:00:10.700Z'))?.at)).toBe('2026-01-01T00:01:10.000Z');
    expect(fires(every(1), '2026-01-01T00:00:00.000Z', 3)).toEqual([
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:03.000Z',
    ]);
  });

  it('are absolute: a DST change does not move them', () => {
    expect(fires(every(3600), '2026-03-29T00:00:00.000Z', 3)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
    ]);
  });
});

describe('cron schedules', () => {
  it('fire in UTC without a time zone, with 5 or 6 fields', () => {
    expect(fires(cron('0 9 * * 1-5', null), '2026-11-20T10:00:00Z', 2)).toEqual([
      '2026-11-23T09:00:00.000Z',
      '2026-11-24T09:00:00.000Z',
    ]);
    expect(fires(cron('*/10 * * * * *', null), '2026-11-20T10:00:05Z', 2)).toEqual([
      '2026-11-20T10:00:10.000Z',
      '2026-11-20T10:00:20.000Z',
    ]);
  });

  it('follow the wall clock of their time zone (09:00 Berlin is 08:00Z in winter, 07:00Z in summer)', () => {
    expect(fires(cron('0 9 * * *', 'Europe/Berlin'), '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
    expect(fires(cron('0 9 * * *', 'Europe/Berlin'), '2026-03-27T12:00:00Z', 1)).toEqual(['2026-03-28T08:00:00.000Z']);
  });

  describe('clocks spring forward (Berlin, 2026-03-29: 02:00 -> 03:00)', () => {
    it('shift: a time inside the gap fires at the first valid minute after it', () => {
      expect(fires(cron('30 2 * * *', 'Europe/Berlin'), '2026-03-28T12:00:00Z', 2)).toEqual([
        '2026-03-29T01:00:00.000Z', // 03:00 CEST
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
      ]);
    });

    it('shift: several times inside the gap fire once, also when the gap end matches itself', () => {
      expect(fires(cron('*/15 * * * *', 'Europe/Berlin'), '2026-03-29T00:40:00Z', 3)).toEqual([
        '2026-03-29T00:45:00.000Z', // 01:45 CET
        '2026-03-29T01:00:00.000Z', // 03:00 CEST stands for 02:00, 02:15, 02:30, 02:45 and itself
        '2026-03-29T01:15:00.000Z', // 03:15 CEST
      ]);
    });

    it('skip: a time inside the gap does not fire, and the skip is counted', () => {
      const spec = cron('30 2 * * *', 'Europe/Berlin', 'skip');
      expect(fires(spec, '2026-03-28T12:00:00Z', 1)).toEqual(['2026-03-30T00:30:00.000Z']);
      expect(nextCron(spec, at('2026-03-28T12:00:00Z'))?.dstSkipped).toBe(1);
    });

    it('New York too (2026-03-08: 02:00 -> 03:00 EDT)', () => {
      expect(fires(cron('0 2 * * *', 'America/New_York'), '2026-03-07T12:00:00Z', 2)).toEqual([
        '2026-03-08T07:00:00.000Z', // 03:00 EDT
        '2026-03-09T06:00:00.000Z', // 02:00 EDT
      ]);
    });
  });

  describe('clocks fall back (Berlin, 2026-10-25: 03:00 -> 02:00)', () => {
    it('the repeated hour fires once, at its first occurrence', () => {
      expect(fires(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 2)).toEqual([
        '2026-10-25T00:30:00.000Z', // 02:30 CEST, not again at 02:30 CET
        '2026-10-26T01:30:00.000Z',
      ]);
    });

    it('a pattern inside the repeated hour runs through it once, without the second pass', () => {
      expect(fires(cron('*/30 * * * *', 'Europe/Berlin'), '2026-10-24T23:40:00Z', 4)).toEqual([
        '2026-10-25T00:00:00.000Z', // 02:00 CEST
        '2026-10-25T00:30:00.000Z', // 02:30 CEST
        '2026-10-25T02:00:00.000Z', // 03:00 CET (02:00 and 02:30 CET are the same wall-clock times again)
        '2026-10-25T02:30:00.000Z',
      ]);
    });

    it('a schedule created during the second pass fires at the next wall-clock time after now', () => {
      expect(fires(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-25T01:10:00Z', 1)).toEqual([
        '2026-10-25T01:30:00.000Z',
      ]);
    });
  });

  it('maps wall-clock times to none, one or two instants', () => {
    expect(wallToInstants(at('2026-03-29T02:30:00Z'), 'Europe/Berlin')).toEqual([]);
    expect(wallToInstants(at('2026-10-25T02:30:00Z'), 'Europe/Berlin').map(iso)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
    expect(wallToInstants(at('2026-06-01T12:00:00Z'), 'Asia/Kolkata').map(iso)).toEqual(['2026-06-01T06:30:00.000Z']);
    expect(iso(toWall(at('2026-06-01T06:30:00.250Z'), 'Asia/Kolkata'))).toBe('2026-06-01T12:00:00.250Z');
  });

  it('lists upcoming fire times from the next due time', () => {
    expect(upcoming(cron('0 0 1 * *', null), at('2026-12-01T00:00:00Z'), 3).map(iso)).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
      '2027-02-01T00:00:00.000Z',
    ]);
  });
});
