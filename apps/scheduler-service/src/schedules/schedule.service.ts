import { Injectable } from '@nestjs/common';
import type { GetScheduleRequest, TriggerSchedule } from '@signalbox/contracts';

import { ScheduleRepository } from './schedule.repository';
import { specOf } from './schedule-config';
import { upcoming } from './schedule-math';
import { ScheduleSync } from './schedule-sync';

const NEXT_FIRE_TIMES = 10;
const LOG_ENTRIES = 20;
const APPLY_WAIT_MS = 2000;

/** What the scheduler tells about a schedule, and the ends of runs its overlap policies wait for. */
@Injectable()
export class ScheduleService {
  constructor(
    private readonly repository: ScheduleRepository,
    private readonly sync: ScheduleSync,
  ) {}

  /**
   * A run of a scheduled trigger ended: the trigger may fire again, and a buffered due time fires at once.
   * Runs of other triggers cost no query. An end that arrives while its fire is still being committed waits on
   * the row lock, then finds the run id written.
   */
  async runFinished(triggerId: string, runId: string): Promise<void> {
    if (!this.sync.isTracked(triggerId)) return;
    await this.repository.runFinished([{ triggerId, runId }]);
  }

  /** A schedule with its next fire times and its log, once the trigger's `minVersion` is applied here. */
  async get(request: GetScheduleRequest): Promise<TriggerSchedule | null> {
    // Read-your-writes: a change reaches this service through the KV bucket milliseconds after the API
    // answered it; wait (briefly) until it is applied rather than answer with the state before it.
    const deadline = Date.now() + APPLY_WAIT_MS;
    let found = await this.repository.get(request.workspace, request.triggerId, LOG_ENTRIES);
    while ((!found || found.schedule.triggerVersion < request.minVersion) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      found = await this.repository.get(request.workspace, request.triggerId, LOG_ENTRIES);
    }
    if (!found) return null;
    const { schedule, log } = found;
    // A due time that has passed but not fired yet is still listed: it fires at the next pass.
    const next =
      schedule.enabled && schedule.nextDueAt ? upcoming(specOf(schedule), schedule.nextDueAt, NEXT_FIRE_TIMES) : [];
    return {
      triggerId: schedule.triggerId,
      enabled: schedule.enabled,
      interval: schedule.interval,
      cron: schedule.cron,
      timezone: schedule.timezone,
      catchUp: schedule.catchUp,
      overlap: schedule.overlap,
      dstGap: schedule.dstGap,
      nextFireTimes: next.map((time) => time.toISOString()),
      lastFire:
        schedule.lastScheduledAt && schedule.lastFiredAt && schedule.lastRunId
          ? {
              scheduledAt: schedule.lastScheduledAt.toISOString(),
              firedAt: schedule.lastFiredAt.toISOString(),
              runId: schedule.lastRunId,
            }
          : null,
      running: schedule.runningRunId ? { runId: schedule.runningRunId } : null,
      buffered: schedule.bufferedDueAt ? { scheduledAt: schedule.bufferedDueAt.toISOString() } : null,
      missed: log.map((entry) => ({
        outcome: entry.outcome,
        reason: entry.reason,
        count: entry.count,
        firstScheduledAt: entry.first_scheduled_at.toISOString(),
        lastScheduledAt: entry.last_scheduled_at.toISOString(),
        recordedAt: entry.recorded_at.toISOString(),
      })),
    };
  }
}
