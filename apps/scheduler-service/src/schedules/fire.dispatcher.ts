import { Injectable } from '@nestjs/common';
import {
  type ExecRequest,
  type ScheduledRunParams,
  Subjects,
  TRIGGER_FIRED_EVENT,
  type TriggerFiredEvent,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

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
    const workspace = schedule.workspaceSlug;
    const params: ScheduledRunParams = {
      scheduledAt: fire.scheduledAt.toISOString(),
      firedAt: firedAt.toISOString(),
      triggerId: schedule.triggerId,
      ...(schedule.interval !== null
        ? { interval: schedule.interval }
        : { cron: schedule.cron ?? '', ...(schedule.timezone ? { timezone: schedule.timezone } : {}) }),
      ...(fire.catchUpMissed !== undefined ? { catchUp: { missed: fire.catchUpMissed } } : {}),
    };
    const request: ExecRequest = {
      runId,
      workspace,
      run: {
        triggerId: schedule.triggerId,
        functionId: schedule.functionId,
        executionParams: params,
        requestedBy: SCHEDULER_ACTOR,
      },
    };
    const fired: TriggerFiredEvent = {
      id: `fired.${runId}`,
      event: TRIGGER_FIRED_EVENT,
      workspace,
      timestamp: params.firedAt,
      data: {
        triggerId: schedule.triggerId,
        functionId: schedule.functionId,
        runId,
        executionType: 'scheduled',
        source: { scheduledAt: params.scheduledAt, interval: params.interval, cron: params.cron },
      },
    };
    await Promise.all([
      this.nats.publish(Subjects.execRequest(workspace, schedule.functionId), request, { msgID: runId }),
      this.nats.publish(Subjects.platformEvent(workspace, TRIGGER_FIRED_EVENT), fired, { msgID: fired.id }),
    ]);
  }
}
