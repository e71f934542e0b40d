import type { TriggerConfigOf } from '@signalbox/contracts';

import type { CatchUpPolicy, OverlapPolicy } from './fire-planner';

/** A scheduled trigger's config, as data-service publishes it. */
export type ScheduledTrigger = TriggerConfigOf<'scheduled'>;

/** One row of `scheduler.schedules`: a scheduled trigger's spec as last applied and its firing state. */
export interface ScheduleRow {
  readonly triggerId: string;
  readonly workspaceSlug: string;
  readonly functionId: string;
  readonly triggerVersion: number;
  readonly enabled: boolean;
  readonly interval: number | null;
  readonly cron: string | null;
  readonly timezone: string | null;
  readonly dstGap: 'shift' | 'skip';
  readonly catchUp: CatchUpPolicy;
  readonly overlap: OverlapPolicy;
  /** The next due time (kept while disabled, to count what was skipped). */
  readonly nextDueAt: Date | null;
  /** When a replica must look at this row: the next due time, now (a buffered fire is free), or null (disabled). */
  readonly wakeAt: Date | null;
  readonly runningRunId: string | null;
  readonly bufferedDueAt: Date | null;
  readonly lastScheduledAt: Date | null;
  readonly lastFiredAt: Date | null;
  readonly lastRunId: string | null;
  readonly disabledAt: Date | null;
}

/** A missed or skipped entry for `scheduler.fire_log`. */
export interface FireLogEntry {
  readonly triggerId: string;
  readonly workspaceSlug: string;
  readonly outcome: 'missed' | 'skipped';
  readonly reason: string;
  readonly count: number;
  readonly first: Date;
  readonly last: Date;
}
