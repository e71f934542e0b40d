import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { BulkJobService } from './bulk-job.service';

/** How long the runner sleeps when no job has work (a job recorded by this replica wakes it at once). */
const IDLE_MS = 500;
const PRUNE_EVERY_MS = 3_600_000;
/** Finished bulk jobs are kept this long (their progress is history). */
export const BULK_JOBS_KEPT_DAYS = 30;

/**
 * Every replica advances running bulk jobs, a page at a time: `FOR UPDATE SKIP LOCKED` gives each job to one
 * replica at a time, and a replica that dies leaves its page to the next pass.
 */
@Injectable()
export class BulkJobRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BulkJobRunner.name);
  private stopping = false;
  private running: Promise<void> | null = null;
  private wake: () => void = () => undefined;
  private lastPrune = 0;

  constructor(private readonly bulk: BulkJobService) {
    this.bulk.onCreated(() => this.wake());
  }

  onApplicationBootstrap(): void {
    this.running = this.loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
          this.lastPrune = Date.now();
          await this.bulk.prune(BULK_JOBS_KEPT_DAYS);
        }
        if (await this.bulk.advanceOne()) continue;
        await this.sleep(IDLE_MS);
      } catch (error) {
        this.logger.warn(`bulk job pass failed, retrying in 1 s: ${String(error)}`);
        await this.sleep(1000);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
