import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { configOfType, type TriggerConfig } from '@signalbox/contracts';
import { HealthRegistry } from '@signalbox/observability';

import { TriggerConfigs } from '../triggers/trigger-configs';
import { ScheduleRepository } from './schedule.repository';
import type { ScheduledTrigger } from './schedule.types';

const isScheduled = (config: TriggerConfig | null | undefined): config is ScheduledTrigger =>
  configOfType(config, 'scheduled') !== null;
const CHUNK = 1000;

/**
 * Keeps `scheduler.schedules` in step with the scheduled triggers that data-service publishes to the
 * `triggers` bucket: a full pass after every (re)load of the bucket, then each change as it arrives. Every
 * replica does this; the trigger version makes the second application of a change a no-op.
 */
@Injectable()
export class ScheduleSync implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ScheduleSync.name);
  /** Changes not yet written, by trigger id (null: deleted). A full pass replaces them. */
  private pending = new Map<string, ScheduledTrigger | null>();
  private fullPass: ScheduledTrigger[] | null = null;
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private syncedOnce = false;
  private markSynced: () => void = () => undefined;
  private readonly synced = new Promise<void>((resolve) => (this.markSynced = resolve));
  private readonly listeners: Array<() => void> = [];
  /** Triggers whose runs the overlap policy follows (overlap skip or buffer-one). */
  private readonly tracked = new Set<string>();
  private stopped = false;

  constructor(
    triggers: TriggerConfigs,
    private readonly repository: ScheduleRepository,
    private readonly health: HealthRegistry,
  ) {
    triggers.listen({
      loaded: (entries) => {
        if (this.stopped) return;
        const scheduled = [...entries.values()].filter(isScheduled);
        this.tracked.clear();
        for (const config of scheduled) this.track(config);
        this.fullPass = scheduled;
        this.pending.clear();
        this.flush();
      },
      changed: (_key, value, previous) => {
        if (this.stopped) return;
        if (isScheduled(value)) {
          this.track(value);
          this.pending.set(value.id, value);
        } else if (value === null && isScheduled(previous)) {
          this.tracked.delete(previous.id);
          this.pending.set(previous.id, null);
        } else {
          return;
        }
        this.flush();
      },
    });
  }

  onApplicationBootstrap(): void {
    this.health.register('schedules', () =>
      this.syncedOnce ? Promise.resolve() : Promise.reject(new Error('schedules not synced with the triggers yet')),
    );
  }

  onApplicationShutdown(): void {
    this.stopped = true; // the shared copy of the bucket may still announce changes: they are not written
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** Resolves once the table has been brought in line with the bucket: nothing fires before. */
  whenSynced(): Promise<void> {
    return this.synced;
  }

  /** Called after every change written, so the fire loop looks again at once. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  isTracked(triggerId: string): boolean {
    return this.tracked.has(triggerId);
  }

  private track(config: ScheduledTrigger): void {
    const overlap = config.triggerMetadata.overlap;
    if (config.enabled && (overlap === 'skip' || overlap === 'buffer-one')) this.tracked.add(config.id);
    else this.tracked.delete(config.id);
  }

  /** Writes what is pending, one batch at a time; on failure (Postgres away) tries again in a second. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = this.write()
      .then((again) => {
        this.flushing = null;
        if (again) this.flush();
      })
      .catch((error: unknown) => {
        this.flushing = null;
        this.logger.warn(`writing schedules failed, retrying in 1 s: ${String(error)}`);
        this.retryTimer = setTimeout(() => this.flush(), 1000);
        this.retryTimer.unref();
      });
  }

  /** Answers whether more is pending. What fails stays pending (a full pass stays whole). */
  private async write(): Promise<boolean> {
    const now = () => new Date();
    if (this.fullPass) {
      const configs = this.fullPass;
      for (let i = 0; i < configs.length; i += CHUNK) {
        await this.repository.applyConfigs(configs.slice(i, i + CHUNK), now);
      }
      const removed = await this.repository.removeAllExcept(configs.map((config) => config.id));
      if (this.fullPass === configs) this.fullPass = null;
      this.logger.log(`schedules synced: ${configs.length} scheduled triggers, ${removed} removed`);
      this.syncedOnce = true;
      this.markSynced();
      this.notify();
      return this.pending.size > 0 || this.fullPass !== null;
    }
    if (this.pending.size === 0) return false;
    const batch = this.pending;
    this.pending = new Map();
    try {
      const configs = [...batch.values()].filter((value): value is ScheduledTrigger => value !== null);
      const removed = [...batch.entries()].filter(([, value]) => value === null).map(([id]) => id);
      await this.repository.applyConfigs(configs, now);
      await this.repository.remove(removed);
    } catch (error) {
      for (const [id, value] of batch) if (!this.pending.has(id)) this.pending.set(id, value);
      throw error;
    }
    this.notify();
    return this.pending.size > 0;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
