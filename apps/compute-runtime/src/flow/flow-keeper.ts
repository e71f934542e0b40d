import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import { FlowGate } from './flow-gate.service';

/** How often each replica looks after the flow-control lines. */
const KEEP_EVERY_MS = 2_000;

/**
 * Every replica, every 2 s: admits runs waiting in a line whose slots are free with nobody to admit them (the
 * runtime that freed them died first), and removes flow state no run needs (FlowGate.keep).
 */
@Injectable()
export class FlowKeeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FlowKeeper.name);
  private timer: NodeJS.Timeout | null = null;
  private keeping: Promise<void> | null = null;

  constructor(private readonly gate: FlowGate) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.keeping ??= this.gate
        .keep()
        .catch((error: unknown) => this.logger.warn(`flow-control keeping failed, again soon: ${String(error)}`))
        .finally(() => (this.keeping = null));
    }, KEEP_EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.keeping;
  }
}
