import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';

/**
 * Work every replica does every `everyMs` (a keeper, a waker): one pass at a time, a failed pass logged and tried
 * again at the next tick, and on shutdown no new pass while the one under way is waited for.
 */
export abstract class Periodic implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;

  /** How often, and what a failed pass is called in the log. */
  protected abstract readonly everyMs: number;
  protected abstract readonly what: string;

  protected abstract pass(): Promise<void>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.passing ??= this.pass()
        .catch((error: unknown) => this.logger.warn(`${this.what} failed, again soon: ${String(error)}`))
        .finally(() => (this.passing = null));
    }, this.everyMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.passing;
  }
}
