import { type Static, Type } from '@sinclair/typebox';

import { Timestamp, Uuid } from './rest/common';
import { CatchUpPolicies, DstGapPolicies, OverlapPolicies } from './rest/function-triggers';

/**
 * `executionParams` of a scheduled run (issue 6). `scheduledAt` is the due time this run stands for;
 * `interval` or `cron` (+ `timezone`) says which schedule. `catchUp` is set on the one run that stands for
 * due times missed while no scheduler ran (policy `one`).
 */
export interface ScheduledRunParams {
  readonly scheduledAt: string;
  readonly firedAt: string;
  readonly triggerId: string;
  readonly interval?: number;
  readonly cron?: string;
  readonly timezone?: string;
  readonly catchUp?: { readonly missed: number };
}

/** Why a due time did not become a run. Never rename a value: it is a metric label and API output. */
export const MissedFireReasons = {
  /** No scheduler ran at the due time, and the catch-up policy did not run it. */
  downtime: 'downtime',
  /** Policy `all`: more due times were missed than `SCHEDULER_CATCH_UP_MAX`; the oldest were dropped. */
  catchUpLimit: 'catch-up-limit',
  /** Overlap policy `skip` or `buffer-one`: the previous run of the trigger was still queued or running. */
  overlap: 'overlap',
  /** The trigger was disabled at the due time. */
  disabled: 'disabled',
  /** Cron in a time zone with `dstGap: skip`: the local time did not exist (clocks sprang forward). */
  dstGap: 'dst-gap',
} as const;
export type MissedFireReason = (typeof MissedFireReasons)[keyof typeof MissedFireReasons];

const Policy = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));

export const MissedFireSchema = Type.Object({
  outcome: Type.Union([Type.Literal('missed'), Type.Literal('skipped')]),
  reason: Type.String({ description: Object.values(MissedFireReasons).join(' | ') }),
  count: Type.Integer({ description: 'due times in this entry' }),
  firstScheduledAt: Timestamp,
  lastScheduledAt: Timestamp,
  recordedAt: Timestamp,
});
export type MissedFire = Static<typeof MissedFireSchema>;

/** `GET /function-triggers/{id}/schedule`, answered by scheduler-service through data-service. */
export const TriggerScheduleSchema = Type.Object({
  triggerId: Uuid,
  enabled: Type.Boolean(),
  interval: Type.Union([Type.Integer(), Type.Null()]),
  cron: Type.Union([Type.String(), Type.Null()]),
  timezone: Type.Union([Type.String(), Type.Null()]),
  catchUp: Policy(CatchUpPolicies),
  overlap: Policy(OverlapPolicies),
  dstGap: Policy(DstGapPolicies),
  nextFireTimes: Type.Array(Timestamp, { description: 'the next 10 due times; empty while disabled' }),
  lastFire: Type.Union([Type.Object({ scheduledAt: Timestamp, firedAt: Timestamp, runId: Uuid }), Type.Null()]),
  running: Type.Union([Type.Object({ runId: Uuid }), Type.Null()], {
    description: 'overlap skip / buffer-one: the run that has not finished yet',
  }),
  buffered: Type.Union([Type.Object({ scheduledAt: Timestamp }), Type.Null()]),
  missed: Type.Array(MissedFireSchema, { description: 'the latest missed and skipped fires, newest first' }),
});
export type TriggerSchedule = Static<typeof TriggerScheduleSchema>;

/** `scheduler.v1.schedules.get` request; the answer is a TriggerSchedule or null (not scheduled yet). */
export interface GetScheduleRequest {
  readonly workspace: string;
  readonly triggerId: string;
  /**
   * The trigger version the caller has seen: the scheduler waits briefly until it has applied it, so a read
   * right after a change shows the change.
   */
  readonly minVersion: number;
}
