import type { JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Consumers, type DeliveryJob, type Disposition } from '@signalbox/contracts';
import { decodeJson, DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';

import { DeliveryService } from './delivery.service';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';
import { SubscriptionIndex } from './subscription.index';

/** Works the DELIVERIES queue (one durable consumer shared by every gateway replica): one attempt per job. */
@Injectable()
export class DeliveryWorker extends DurableConsumer {
  constructor(
    nats: NatsClient,
    private readonly index: SubscriptionIndex,
    private readonly deliveries: DeliveryService,
    @Inject(OUTBOUND_SETTINGS) settings: OutboundSettings,
  ) {
    super(nats, {
      consumer: Consumers.gatewayDeliveries,
      concurrency: settings.deliveryConcurrency,
      logger: messagingLogger(new Logger(DeliveryWorker.name)),
    });
  }

  protected override ready(): Promise<void> {
    return this.index.whenLoaded();
  }

  protected handle(message: JsMsg): Promise<Disposition> {
    return this.deliveries.attempt(decodeJson<DeliveryJob>(message, 'delivery job'), () => message.working());
  }
}
