import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { scheduleRunId } from '@signalbox/contracts';
import { MetricsService } from '@signalbox/observability';
import type { Counter, Histogram } from 'prom-client';

import { FireDispatcher } from './fire.dispatcher';
import { planFires } from './fire-planner';
import { type FiredUpdate, ScheduleRepository } from './schedule.repository';
import type { FireLogEntry, ScheduleRow } from './schedule.types';
import { specOf } from './schedule-config';
import { ScheduleSync } from './schedule-sync';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from './scheduler.settings';

/** How soon to look again when due rows are held by another replica. */
const CONTENDED_RETRY_MS = 25;
const PRUNE_EVERY_MS = 10 * 60_000;
export const LOG_KEPT_PER_TRIGGER = 50;

/**
 * The fire loop of one replica: claim due schedules, publish their runs, write their next due time (one
 * transaction per batch), then sleep until the earliest wake time (at most `maxSleepMs`, woken early by
 * schedule changes). Any number of replicas run it side by side; `FOR UPDATE SKIP LOCKED` splits the work.
 */
@Injectable()
export class SchedulerLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SchedulerLoop.name);
  private stopping = false;
  private running: Promise<void> | null = null;
  private readonly sleepers = new Set<() => void>();
  private markStopped: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  private lastPrune = 0;
  private readonly fires: Counter<never>;
  private readonly lateness: Histogram<never>;

  constructor(
    private readonly repository: ScheduleRepository,
    private readonly sync: ScheduleSync,
    private readonly dispatcher: FireDispatcher,
    @Inject(SCHEDULER_SETTINGS) private readonly settings: SchedulerSettings,
    metrics: MetricsService,
  ) {
    this.fires = metrics.counter('signalbox_schedule_fires_total', 'Scheduled runs started.', []);
    this.lateness = metrics.histogram(
      'signalbox_schedule_lateness_seconds',
      'Fire time minus due time of scheduled runs.',
      [],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    );
    this.sync.onChange(() => this.wakeUp());
  }

  onApplicationBootstrap(): void {
    // Parallel loops of one replica split due rows between them as replicas do (SKIP LOCKED), so one
    // replica's publishes overlap when many schedules are due at once.
    const loops = Array.from({ length: this.settings.concurrency }, () => this.loop());
    this.running = Promise.all(loops).then(() => undefined);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.markStopped();
    this.wakeUp();
    await this.running;
  }

  private async loop(): Promise<void> {
    await Promise.race([this.sync.whenSynced(), this.stopped]);
    while (!this.stopping) {
      try {
        const claimed = await this.pass();
        if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
          this.lastPrune = Date.now();
          await this.repository.pruneLog(LOG_KEPT_PER_TRIGGER);
        }
        if (claimed >= this.settings.batchSize) continue;
        const earliest = await this.repository.earliestWake();
        const wait = earliest ? earliest.getTime() - Date.now() : this.settings.maxSleepMs;
        await this.sleep(Math.min(this.settings.maxSleepMs, wait > 0 ? wait : CONTENDED_RETRY_MS));
      } catch (error) {
        this.logger.warn(`fire pass failed, retrying in 1 s: ${String(error)}`);
        await this.sleep(1000);
      }
    }
  }

  /** One claim-and-fire transaction; answers how many schedules it claimed. */
  private async pass(): Promise<number> {
    const now = new Date();
    const lateness: number[] = [];
    const claimed = await this.repository.claimDue(
      now,
      this.settings.batchSize,
      this.settings.claimTimeoutMs,
      async (rows) => {
        const updates: FiredUpdate[] = [];
        const log: FireLogEntry[] = [];
        const publishes: Promise<void>[] = [];
        lateness.length = 0;
        for (const row of rows) {
          updates.push(this.plan(row, now, log, publishes, lateness));
        }
        await Promise.all(publishes);
        return { updates, log };
      },
    );
    // Counted once committed: a pass that rolls back is redone, and would otherwise count its fires twice.
    for (const seconds of lateness) {
      this.fires.inc();
      this.lateness.observe(seconds);
    }
    return claimed;
  }

  private plan(
    row: ScheduleRow,
    now: Date,
    log: FireLogEntry[],
    publishes: Promise<void>[],
    lateness: number[],
  ): FiredUpdate {
    if (!row.enabled || !row.nextDueAt) {
      return { ...row, wakeAt: null };
    }
    const plan = planFires(
      {
        spec: specOf(row),
        catchUp: row.catchUp,
        overlap: row.overlap,
        nextDueAt: row.nextDueAt,
        running: row.runningRunId !== null,
        bufferedDueAt: row.bufferedDueAt,
      },
      now,
      this.settings.plan,
    );
    let last: { scheduledAt: Date; runId: string } | null = null;
    for (const fire of plan.fires) {
      const runId = scheduleRunId(row.triggerId, fire.scheduledAt);
      publishes.push(this.dispatcher.fire(row, fire, runId, now));
      lateness.push(Math.max(0, now.getTime() - fire.scheduledAt.getTime()) / 1000);
      last = { scheduledAt: fire.scheduledAt, runId };
    }
    for (const record of plan.records) {
      log.push({ ...record, triggerId: row.triggerId, workspaceSlug: row.workspaceSlug });
    }
    return {
      triggerId: row.triggerId,
      nextDueAt: plan.nextDueAt,
      wakeAt: plan.nextDueAt,
      runningRunId: row.overlap === 'allow' ? null : (last?.runId ?? row.runningRunId),
      bufferedDueAt: plan.bufferedDueAt,
      lastScheduledAt: last?.scheduledAt ?? row.lastScheduledAt,
      lastFiredAt: last ? now : row.lastFiredAt,
      lastRunId: last?.runId ?? row.lastRunId,
    };
  }

  private wakeUp(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
