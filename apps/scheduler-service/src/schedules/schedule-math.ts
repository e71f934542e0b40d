import { Cron } from 'croner';

/** What a scheduled trigger's metadata says about when it fires. */
export interface ScheduleSpec {
  /** Whole seconds between fires, or null for cron. */
  readonly interval: number | null;
  /** 5 or 6 fields (with seconds), or null for interval. */
  readonly cron: string | null;
  /** IANA time zone of the cron's wall clock; null means UTC. */
  readonly timezone: string | null;
  readonly dstGap: 'shift' | 'skip';
}

/** The next due time, and how many cron wall-clock times were skipped on the way (`dstGap: skip`). */
export interface NextDue {
  readonly at: Date;
  readonly dstSkipped: number;
}

const SECOND = 1000;
const DAY = 86_400_000;

/**
 * The first due time of a schedule that starts (or restarts after a change) at `now`: one interval later
 * (whole seconds, so due times read well), or the cron's next fire after `now`.
 */
export function firstDue(spec: ScheduleSpec, now: Date): NextDue | null {
  if (spec.interval !== null) {
    return { at: new Date(Math.floor(now.getTime() / SECOND) * SECOND + spec.interval * SECOND), dstSkipped: 0 };
  }
  return nextCron(spec, now);
}

/** The due time after `due`. Interval schedules keep their phase: due + interval, whatever the lateness. */
export function nextDue(spec: ScheduleSpec, due: Date): NextDue | null {
  if (spec.interval !== null) return { at: new Date(due.getTime() + spec.interval * SECOND), dstSkipped: 0 };
  return nextCron(spec, due);
}

/** The next `count` due times from `from` (inclusive), for the schedule endpoint. */
export function upcoming(spec: ScheduleSpec, from: Date, count: number): Date[] {
  const times: Date[] = [from];
  while (times.length < count) {
    const next = nextDue(spec, times[times.length - 1]);
    if (!next) break;
    times.push(next.at);
  }
  return times;
}

/**
 * Cron in a time zone, with our DST policy (docs/scheduling.md):
 * - the pattern is matched against the local wall clock, which only moves forward, so a wall-clock time
 *   that happens twice (clocks fall back) fires once, at its first occurrence;
 * - a wall-clock time that does not exist (clocks spring forward) fires at the first valid minute after the
 *   gap (`shift`, default; several such times fire once), or not at all (`skip`).
 * croner parses and matches the pattern (on a "floating" clock in UTC); this function only maps wall-clock
 * times to instants.
 */
export function nextCron(spec: ScheduleSpec, after: Date): NextDue | null {
  const zone = spec.timezone ?? 'UTC';
  const pattern = compiled(spec.cron ?? '');
  let wall = toWall(after, zone);
  let dstSkipped = 0;
  // A year of a once-a-second pattern is far more than any gap; the bound only stops a runaway loop.
  for (let step = 0; step < 10_000; step++) {
    const nextWall = pattern.nextRun(wall);
    if (!nextWall) return null;
    wall = nextWall;
    const instants = wallToInstants(wall, zone);
    if (instants.length > 0) {
      const at = instants.find((instant) => instant.getTime() > after.getTime());
      if (at) return { at, dstSkipped };
      continue;
    }
    if (spec.dstGap === 'skip') {
      dstSkipped++;
      continue;
    }
    const at = gapEnd(wall, zone);
    if (at.getTime() > after.getTime()) return { at, dstSkipped };
  }
  return null;
}

const patterns = new Map<string, Cron>();
function compiled(expression: string): Cron {
  let pattern = patterns.get(expression);
  if (!pattern) {
    pattern = new Cron(expression, { timezone: 'UTC', paused: true });
    if (patterns.size > 10_000) patterns.clear();
    patterns.set(expression, pattern);
  }
  return pattern;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** The local wall-clock time of `instant` in `zone`, as a "floating" Date whose UTC fields are the local ones. */
export function toWall(instant: Date, zone: string): Date {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return new Date(wall + instant.getUTCMilliseconds());
}

/** UTC offset of `zone` at `instant`, in ms (positive east of Greenwich). */
function offsetAt(instant: number, zone: string): number {
  return toWall(new Date(instant), zone).getTime() - instant;
}

/** Every instant whose local time in `zone` is `wall`: none in a gap, two in a repeated hour, else one. */
export function wallToInstants(wall: Date, zone: string): Date[] {
  const floating = wall.getTime();
  const offsets = new Set([offsetAt(floating - DAY, zone), offsetAt(floating, zone), offsetAt(floating + DAY, zone)]);
  const instants = [...offsets]
    .map((offset) => floating - offset)
    .filter((instant) => toWall(new Date(instant), zone).getTime() === floating);
  return [...new Set(instants)].sort((a, b) => a - b).map((instant) => new Date(instant));
}

/** The instant the clocks sprang forward over `wall` (a time inside the gap): the first valid local time after it. */
function gapEnd(wall: Date, zone: string): Date {
  const floating = wall.getTime();
  const before = offsetAt(floating - DAY, zone);
  const after = offsetAt(floating + DAY, zone);
  // Local time at `low` is before the gap, at `high` after it; the transition lies between them.
  let low = floating - after;
  let high = floating - before;
  while (high - low > SECOND) {
    const middle = Math.floor((low + high) / 2);
    if (offsetAt(middle, zone) === before) low = middle;
    else high = middle;
  }
  return new Date(Math.ceil(high / SECOND) * SECOND);
}
