import { MissedFireReasons } from '@signalbox/contracts';

import { dueTimesBetween } from './fire-planner';
import type { FireLogEntry, ScheduledTrigger, ScheduleRow } from './schedule.types';
import { firstDue, type ScheduleSpec } from './schedule-math';

/** Due times counted when a trigger is enabled again (for the "skipped while disabled" entry). */
const DISABLED_COUNT_MAX = 100_000;

/** The schedule fields of a scheduled trigger's metadata (data-service validated them), with defaults. */
export function scheduleOf(
  config: ScheduledTrigger,
): Pick<ScheduleRow, 'interval' | 'cron' | 'timezone' | 'dstGap' | 'catchUp' | 'overlap'> {
  const metadata = config.triggerMetadata;
  return {
    interval: metadata.interval ?? null,
    cron: metadata.cron ?? null,
    timezone: metadata.timezone ?? null,
    dstGap: metadata.dstGap ?? 'shift',
    catchUp: metadata.catchUp ?? 'one',
    overlap: metadata.overlap ?? 'allow',
  };
}

export const specOf = (row: Pick<ScheduleRow, 'interval' | 'cron' | 'timezone' | 'dstGap'>): ScheduleSpec => ({
  interval: row.interval,
  cron: row.cron,
  timezone: row.timezone,
  dstGap: row.dstGap,
});

const sameSpec = (a: ScheduleSpec, b: ScheduleSpec) =>
  a.interval === b.interval && a.cron === b.cron && a.timezone === b.timezone && a.dstGap === b.dstGap;

/**
 * The row after a trigger config arrives from the `triggers` bucket, or null when it changes nothing (an
 * older or equal version: every replica applies every change, the first one wins). Changes apply at once:
 * a new or changed schedule starts from `now`, disabling pauses (a due time not yet fired does not fire),
 * enabling again starts from `now` and records the due times skipped while disabled.
 */
export function applyConfig(
  existing: ScheduleRow | undefined,
  config: ScheduledTrigger,
  now: Date,
): { row: ScheduleRow; log: FireLogEntry[] } | null {
  if (existing && existing.triggerVersion >= config.version) return null;
  const schedule = scheduleOf(config);
  const spec = specOf(schedule);
  const base = {
    triggerId: config.id,
    workspaceSlug: config.workspaceSlug,
    functionId: config.functionId,
    triggerVersion: config.version,
    enabled: config.enabled,
    ...schedule,
  };
  const tracking = schedule.overlap !== 'allow';
  const keep = {
    runningRunId: tracking ? (existing?.runningRunId ?? null) : null,
    lastScheduledAt: existing?.lastScheduledAt ?? null,
    lastFiredAt: existing?.lastFiredAt ?? null,
    lastRunId: existing?.lastRunId ?? null,
  };

  if (!config.enabled) {
    return {
      row: {
        ...base,
        ...keep,
        nextDueAt: existing?.nextDueAt ?? null,
        wakeAt: null,
        bufferedDueAt: null,
        disabledAt: existing?.enabled === false ? existing.disabledAt : now,
      },
      log: [],
    };
  }

  const log: FireLogEntry[] = [];
  const restart = !existing || !existing.enabled || !sameSpec(specOf(existing), spec);
  if (existing && !existing.enabled && existing.nextDueAt) {
    const skipped = dueTimesBetween(specOf(existing), existing.nextDueAt, now, DISABLED_COUNT_MAX);
    if (skipped.length > 0) {
      log.push({
        triggerId: config.id,
        workspaceSlug: config.workspaceSlug,
        outcome: 'skipped',
        reason: MissedFireReasons.disabled,
        count: skipped.length,
        first: skipped[0],
        last: skipped[skipped.length - 1],
      });
    }
  }
  if (!restart) {
    // Name, params or policies changed: the schedule keeps its place.
    const buffered = schedule.overlap === 'buffer-one' ? existing.bufferedDueAt : null;
    return {
      row: {
        ...base,
        ...keep,
        nextDueAt: existing.nextDueAt,
        wakeAt: buffered && !keep.runningRunId ? now : existing.nextDueAt,
        bufferedDueAt: buffered,
        disabledAt: null,
      },
      log,
    };
  }
  const next = firstDue(spec, now)?.at ?? null;
  return {
    row: { ...base, ...keep, nextDueAt: next, wakeAt: next, bufferedDueAt: null, disabledAt: null },
    log,
  };
}
