import { Injectable } from '@nestjs/common';
import type { ScheduledRunParams } from '@signalbox/contracts';
import { NatsClient, publishTriggeredRun } from '@signalbox/messaging';
import { inSpan, SpanKind } from '@signalbox/observability';

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
    // Each fire is the first span of its own trace: its run, and what the run causes, continue it.
    const attributes = {
      'signalbox.workspace': schedule.workspaceSlug,
      'signalbox.trigger.id': schedule.triggerId,
      'signalbox.run.id': runId,
      'signalbox.schedule.scheduled_at': params.scheduledAt,
    };
    await inSpan('schedule fire', { kind: SpanKind.PRODUCER, root: true, attributes }, () =>
      this.publish(schedule, runId, params),
    );
  }

  private async publish(schedule: ScheduleRow, runId: string, params: ScheduledRunParams): Promise<void> {
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
