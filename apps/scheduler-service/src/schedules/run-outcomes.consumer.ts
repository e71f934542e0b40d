import type { JsMsg } from '@nats-io/jetstream';
import { Injectable, Logger } from '@nestjs/common';
import { Consumers, type Disposition, Dispositions, type FunctionRunEvent } from '@signalbox/contracts';
import { decodeJson, DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';

import { ScheduleService } from './schedule.service';
import { ScheduleSync } from './schedule-sync';

/** Follows run outcomes (`function.completed` / `function.failed`) for the overlap policies of schedules. */
@Injectable()
export class RunOutcomesConsumer extends DurableConsumer {
  constructor(
    nats: NatsClient,
    private readonly schedules: ScheduleService,
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

  protected async handle(message: JsMsg): Promise<Disposition> {
    const { triggerId, runId } = decodeJson<FunctionRunEvent>(message, 'run outcome').data ?? {};
    if (typeof triggerId === 'string' && typeof runId === 'string') await this.schedules.runFinished(triggerId, runId);
    return Dispositions.ack();
  }
}
