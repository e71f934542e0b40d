import type { JsMsg } from '@nats-io/jetstream';
import { Injectable, Logger } from '@nestjs/common';
import { Consumers, type FunctionRunEvent } from '@signalbox/contracts';
import { DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';

import { ScheduleRepository } from './schedule.repository';
import { ScheduleSync } from './schedule-sync';

/**
 * Follows run outcomes (`function.completed` / `function.failed`) for the overlap policies: when the run
 * a schedule waits for ends, the trigger may fire again and a buffered due time fires at once. Outcomes of
 * other triggers are acked without a query. An outcome that arrives while its fire is still being
 * committed waits on the row lock, then finds the run id written.
 */
@Injectable()
export class RunOutcomesConsumer extends DurableConsumer {
  private readonly logger = new Logger(RunOutcomesConsumer.name);

  constructor(
    nats: NatsClient,
    private readonly repository: ScheduleRepository,
    private readonly sync: ScheduleSync,
  ) {
    super(nats, {
      consumer: Consumers.schedulerRunOutcomes,
      concurrency: 32,
      logger: messagingLogger(new Logger(RunOutcomesConsumer.name)),
    });
  }

  protected override ready(): Promise<void> {
    return this.sync.whenSynced();
  }

  protected async handle(message: JsMsg): Promise<void> {
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
