import { Injectable } from '@nestjs/common';
import { type DeliveryJob, Subjects } from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

import { DeliveryRepository, type NewDelivery } from './delivery.repository';

/**
 * Stores deliveries, then queues one job each on DELIVERIES (Nats-Msg-Id = delivery id). The row comes first:
 * a job always finds its delivery, and a crash between the two is healed by the event's redelivery (same ids).
 */
@Injectable()
export class DeliveryQueue {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly nats: NatsClient,
  ) {}

  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    await this.deliveries.createMany(deliveries);
    await Promise.all(
      deliveries.map((delivery) => {
        const job: DeliveryJob = {
          deliveryId: delivery.id,
          workspace: delivery.workspace,
          webhookId: delivery.webhookId,
        };
        return this.nats.publish(Subjects.delivery(delivery.workspace, delivery.webhookId), job, {
          msgID: delivery.id,
        });
      }),
    );
  }
}
