import { type MissedFireReason, MissedFireReasons } from '@signalbox/contracts';

import { nextDue, type ScheduleSpec } from './schedule-math';

export type CatchUpPolicy = 'none' | 'one' | 'all';
export type OverlapPolicy = 'allow' | 'skip' | 'buffer-one';

/** What the planner needs of one claimed schedule row. */
export interface ScheduleState {
  readonly spec: ScheduleSpec;
  readonly catchUp: CatchUpPolicy;
  readonly overlap: OverlapPolicy;
  readonly nextDueAt: Date;
  /** overlap skip / buffer-one: a run of this trigger that has not finished. */
  readonly running: boolean;
  readonly bufferedDueAt: Date | null;
}

export interface PlannedFire {
  readonly scheduledAt: Date;
  /** Set on the one run that stands for missed due times (catch-up `one`). */
  readonly catchUpMissed?: number;
}

export interface PlannedRecord {
  readonly outcome: 'missed' | 'skipped';
  readonly reason: MissedFireReason;
  readonly count: number;
  readonly first: Date;
  readonly last: Date;
}

export interface FirePlan {
  /** Runs to start now, oldest due time first. */
  readonly fires: readonly PlannedFire[];
  readonly records: readonly PlannedRecord[];
  /** The first due time after now; null when a cron never fires again. */
  readonly nextDueAt: Date | null;
  readonly bufferedDueAt: Date | null;
}

export interface PlanSettings {
  /** A due time reached later than this is missed (the catch-up policy decides); within it, it is only late. */
  readonly graceMs: number;
  /** Policy `all`: at most this many missed due times run; older ones are recorded as missed. */
  readonly catchUpMax: number;
  /** At most this many due times are looked at in one pass (a one-second schedule after a week down). */
  readonly scanMax: number;
}

/**
 * Decides, for one claimed schedule at `now`, which due times become runs and which are recorded as missed
 * or skipped, and when it is due next. Pure: the caller owns the clock, the database and NATS.
 *
 * 1. Every due time from `nextDueAt` up to `now` is looked at. One reached within `graceMs` is late and
 *    runs; an older one was missed (no scheduler ran then) and the catch-up policy decides:
 *    `none` runs none of them, `one` runs the newest once (standing for all of them), `all` runs up to
 *    `catchUpMax` of them.
 * 2. The overlap policy then applies: `allow` runs them all; `skip` runs one when no run of the trigger
 *    is unfinished; `buffer-one` also keeps the first due time that found a run unfinished, to run as soon as
 *    that run ends (later ones are skipped while the buffer is taken).
 */
export function planFires(state: ScheduleState, now: Date, settings: PlanSettings): FirePlan {
  const records: PlannedRecord[] = [];
  const record = (outcome: PlannedRecord['outcome'], reason: MissedFireReason, times: readonly Date[]) => {
    if (times.length > 0) records.push({ outcome, reason, count: times.length, first: times[0], last: times.at(-1)! });
  };

  // 1. The due times that have passed.
  const due: Date[] = [];
  let next: Date | null = state.nextDueAt;
  const spec = state.spec;
  if (spec.interval !== null) {
    // Jump over what no pass should enumerate; those are missed whatever the policy.
    const period = spec.interval * 1000;
    const passed = Math.floor((now.getTime() - next.getTime()) / period) + 1;
    if (passed > settings.scanMax) {
      const dropped = passed - settings.scanMax;
      const first = next;
      next = new Date(next.getTime() + dropped * period);
      records.push({
        outcome: 'missed',
        reason: MissedFireReasons.downtime,
        count: dropped,
        first,
        last: new Date(next.getTime() - period),
      });
    }
  }
  while (next && next.getTime() <= now.getTime() && due.length < settings.scanMax) {
    due.push(next);
    const following = nextDue(spec, next);
    if (following && following.dstSkipped > 0) {
      // dstGap skip: local times that did not exist, just before the following due time.
      const at = following.at;
      records.push({
        outcome: 'skipped',
        reason: MissedFireReasons.dstGap,
        count: following.dstSkipped,
        first: at,
        last: at,
      });
    }
    next = following?.at ?? null;
  }
  if (next && next.getTime() <= now.getTime()) {
    // A cron with more passed due times than scanMax: the policy sees the newest missed one and the late ones;
    // everything older is recorded as missed.
    const first = due[0];
    let older = due.length - 1;
    let lastOlder = due.at(-2) ?? null;
    let newestMissed = due.at(-1)!;
    while (next && next.getTime() <= now.getTime() - settings.graceMs) {
      older++;
      lastOlder = newestMissed;
      newestMissed = next;
      next = nextDue(spec, next)?.at ?? null;
    }
    if (older > 0 && lastOlder) {
      records.push({ outcome: 'missed', reason: MissedFireReasons.downtime, count: older, first, last: lastOlder });
    }
    due.length = 0;
    due.push(newestMissed);
    while (next && next.getTime() <= now.getTime()) {
      due.push(next);
      next = nextDue(spec, next)?.at ?? null;
    }
  }

  // 2. Late (run) or missed (catch-up policy).
  const late = due.filter((time) => now.getTime() - time.getTime() <= settings.graceMs);
  const missed = due.filter((time) => now.getTime() - time.getTime() > settings.graceMs);
  let toRun: PlannedFire[] = late.map((scheduledAt) => ({ scheduledAt }));
  if (missed.length > 0) {
    if (state.catchUp === 'all') {
      const kept = missed.slice(-settings.catchUpMax);
      record('missed', MissedFireReasons.catchUpLimit, missed.slice(0, missed.length - kept.length));
      toRun = [...kept.map((scheduledAt) => ({ scheduledAt })), ...toRun];
    } else if (state.catchUp === 'one') {
      // It stands for every missed due time, including those the scan already recorded.
      const recorded = records.reduce((sum, entry) => sum + (entry.outcome === 'missed' ? entry.count : 0), 0);
      record('missed', MissedFireReasons.downtime, missed.slice(0, -1));
      toRun = [{ scheduledAt: missed.at(-1)!, catchUpMissed: recorded + missed.length - 1 }, ...toRun];
    } else {
      record('missed', MissedFireReasons.downtime, missed);
    }
  }

  // 3. Overlap.
  let buffered = state.bufferedDueAt;
  if (state.overlap === 'allow') {
    return { fires: toRun, records, nextDueAt: next, bufferedDueAt: null };
  }
  const fires: PlannedFire[] = [];
  let running = state.running;
  if (buffered && !running) {
    fires.push({ scheduledAt: buffered });
    buffered = null;
    running = true;
  }
  const skipped: Date[] = [];
  for (const fire of toRun) {
    if (!running) {
      fires.push(fire);
      running = true;
    } else if (state.overlap === 'buffer-one' && !buffered) {
      buffered = fire.scheduledAt;
    } else {
      // skip, or buffer-one with the buffer taken: the first buffered due time keeps its place.
      skipped.push(fire.scheduledAt);
    }
  }
  record(
    'skipped',
    MissedFireReasons.overlap,
    skipped.sort((a, b) => a.getTime() - b.getTime()),
  );
  return { fires, records, nextDueAt: next, bufferedDueAt: buffered };
}

/** Due times of `spec` in [from, until], counted (bounded), for fires skipped while a trigger was disabled. */
export function dueTimesBetween(spec: ScheduleSpec, from: Date, until: Date, max: number): Date[] {
  const times: Date[] = [];
  let time: Date | null = from;
  while (time && time.getTime() <= until.getTime() && times.length < max) {
    times.push(time);
    time = nextDue(spec, time)?.at ?? null;
  }
  return times;
}
