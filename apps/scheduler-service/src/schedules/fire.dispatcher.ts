import { Injectable } from '@nestjs/common';
import type { ScheduledRunParams } from '@signalbox/contracts';
import { NatsClient, publishTriggeredRun } from '@signalbox/messaging';

import type { PlannedFire } from './fire-planner';
import type { ScheduleRow } from './schedule.types';

/** Who scheduled runs are requested by, in the run record. */
export const SCHEDULER_ACTOR = 'scheduler';

/**
 * Publishes one fire: the run on EXECUTIONS and its `trigger.fired` on PLATFORM_EVENTS, both with ids
 * derived from the fire id (trigger id + due time), so a fire published twice runs once.
 */
@Injectable()
export class FireDispatcher {
  constructor(private readonly nats: NatsClient) {}

  async fire(schedule: ScheduleRow, fire: PlannedFire, runId: string, firedAt: Date): Promise<void> {
    const params: ScheduledRunParams = {
      scheduledAt: fire.scheduledAt.toISOString(),
      firedAt: firedAt.toISOString(),
      triggerId: schedule.triggerId,
      ...(schedule.interval !== null
        ? { interval: schedule.interval }
        : { cron: schedule.cron ?? '', ...(schedule.timezone ? { timezone: schedule.timezone } : {}) }),
      ...(fire.catchUpMissed !== undefined ? { catchUp: { missed: fire.catchUpMissed } } : {}),
    };
    await publishTriggeredRun(this.nats, {
      trigger: {
        id: schedule.triggerId,
        functionId: schedule.functionId,
        workspaceSlug: schedule.workspaceSlug,
        executionType: 'scheduled',
      },
      runId,
      executionParams: params,
      requestedBy: SCHEDULER_ACTOR,
      timestamp: params.firedAt,
      source: { scheduledAt: params.scheduledAt, interval: params.interval, cron: params.cron },
    });
  }
}
