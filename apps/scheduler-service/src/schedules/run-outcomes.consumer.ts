import type { JsMsg } from '@nats-io/jetstream';
import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Consumers, type FunctionRunEvent } from '@signalbox/contracts';
import { messagingLogger, NatsClient, PullConsumer } from '@signalbox/messaging';

import { ScheduleRepository } from './schedule.repository';
import { ScheduleSync } from './schedule-sync';

/**
 * Follows run outcomes (`function.completed` / `function.failed`) for the overlap policies: when the run
 * a schedule waits for ends, the trigger may fire again and a buffered due time fires at once. Outcomes of
 * other triggers are acked without a query. An outcome that arrives while its fire is still being
 * committed waits on the row lock, then finds the run id written.
 */
@Injectable()
export class RunOutcomesConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunOutcomesConsumer.name);
  private readonly consumer: PullConsumer;

  constructor(
    nats: NatsClient,
    private readonly repository: ScheduleRepository,
    private readonly sync: ScheduleSync,
  ) {
    this.consumer = new PullConsumer(nats, {
      consumer: Consumers.schedulerRunOutcomes,
      concurrency: 32,
      before: () => this.sync.whenSynced(),
      handle: (message) => this.accept(message),
      logger: messagingLogger(this.logger),
    });
  }

  onApplicationBootstrap(): void {
    this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }

  private async accept(message: JsMsg): Promise<void> {
    let event: FunctionRunEvent;
    try {
      event = message.json<FunctionRunEvent>();
    } catch {
      message.term();
      return;
    }
    const { triggerId, runId } = event.data ?? {};
    if (typeof triggerId !== 'string' || typeof runId !== 'string' || !this.sync.isTracked(triggerId)) {
      message.ack();
      return;
    }
    try {
      await this.repository.runFinished([{ triggerId, runId }]);
      message.ack();
    } catch (error) {
      this.logger.warn(`recording the end of run ${runId} failed, retrying: ${String(error)}`);
      message.nak(1000);
    }
  }
}
