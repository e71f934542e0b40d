import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { TEST_SAMPLES_KEPT, type WebhookTestSample } from '@signalbox/contracts';

import { TestSampleRepository } from './test-samples.repository';

const FLUSH_EVERY_MS = 250;

/**
 * Test samples wait here and are written every 250 ms, at most TEST_SAMPLES_KEPT per trigger (only the newest
 * are kept anyway): a busy webhook costs one statement per trigger per flush, not one per request. Samples not
 * yet written when the process dies are lost; they are a convenience, never the run.
 */
@Injectable()
export class TestSampleBuffer implements OnApplicationShutdown {
  private readonly logger = new Logger(TestSampleBuffer.name);
  private pending = new Map<string, { workspace: string; samples: WebhookTestSample[] }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly repository: TestSampleRepository) {}

  add(workspace: string, triggerId: string, sample: WebhookTestSample): void {
    let entry = this.pending.get(triggerId);
    if (!entry) this.pending.set(triggerId, (entry = { workspace, samples: [] }));
    entry.samples.push(sample);
    if (entry.samples.length > TEST_SAMPLES_KEPT) entry.samples.shift();
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, FLUSH_EVERY_MS);
  }

  /** The samples kept for a trigger, newest first (those written by now). */
  list(workspace: string, triggerId: string): Promise<WebhookTestSample[]> {
    return this.repository.list(workspace, triggerId);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    for (const [triggerId, { workspace, samples }] of batch) {
      await this.repository
        .record(workspace, triggerId, samples)
        .catch((error: unknown) => this.logger.warn(`keeping test samples failed: ${String(error)}`));
    }
  }
}
