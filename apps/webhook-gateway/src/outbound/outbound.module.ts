import { type DynamicModule, Module } from '@nestjs/common';

import { DeliveriesController } from './deliveries.controller';
import { DeliveryQueue } from './delivery.queue';
import { DeliveryRepository } from './delivery.repository';
import { DeliverySender } from './delivery.sender';
import { DeliveryService } from './delivery.service';
import { DeliveryWorker } from './delivery.worker';
import { EventFanoutConsumer } from './event-fanout.consumer';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';
import { SubscriptionIndex } from './subscription.index';

/**
 * Outbound webhooks: platform events fanned out to matching subscriptions as deliveries, delivered with signed,
 * durable, retried attempts, and the operations behind data-service's routes (list, test, replay).
 */
@Module({})
export class OutboundModule {
  static register(settings: OutboundSettings): DynamicModule {
    return {
      module: OutboundModule,
      controllers: [DeliveriesController],
      providers: [
        { provide: OUTBOUND_SETTINGS, useValue: settings },
        SubscriptionIndex,
        DeliveryRepository,
        DeliveryQueue,
        DeliverySender,
        DeliveryService,
        DeliveryWorker,
        EventFanoutConsumer,
      ],
    };
  }
}
