import { Injectable } from '@nestjs/common';
import { type DeliveryJob, Subjects } from '@signalbox/contracts';
import { Outbox, type OutboxMessage } from '@signalbox/persistence';

import { DeliveryRepository, type NewDelivery } from './delivery.repository';

/**
 * Stores deliveries with their jobs in the outbox, then publishes one job each on DELIVERIES (Nats-Msg-Id =
 * delivery id). The row comes first, so a job always finds its delivery; the outbox entry is written with it,
 * so a gateway that dies before publishing leaves the job to another replica's outbox sweep.
 */
@Injectable()
export class DeliveryQueue {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly outbox: Outbox,
  ) {}

  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    const createdAt = new Date().toISOString();
    const queued = deliveries.map((delivery) => ({ delivery, createdAt, message: jobMessage(delivery, createdAt) }));
    await this.deliveries.createMany(queued);
    // Every job is published, also those of deliveries that existed already (a redelivered event): the outbox
    // has published those unless their writer did, and a second publish under the same id is dropped.
    await this.outbox.send(queued.map(({ message }) => message));
  }
}

function jobMessage(delivery: NewDelivery, createdAt: string): OutboxMessage {
  const job: DeliveryJob = {
    deliveryId: delivery.id,
    workspace: delivery.workspace,
    webhookId: delivery.webhookId,
    createdAt,
  };
  return { msgId: delivery.id, subject: Subjects.delivery(delivery.workspace, delivery.webhookId), body: job };
}
