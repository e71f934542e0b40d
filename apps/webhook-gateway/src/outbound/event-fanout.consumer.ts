import type { JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Consumers, type Disposition, Dispositions, SignalboxError, type WebhookEvent } from '@signalbox/contracts';
import { decodeJson, DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';

import { DeliveryService } from './delivery.service';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';
import { SubscriptionIndex } from './subscription.index';

/**
 * Turns every platform event (record.*, function.*, trigger.fired on PLATFORM_EVENTS) into one delivery per
 * matching subscription. Acked only once its deliveries are stored and queued.
 */
@Injectable()
export class EventFanoutConsumer extends DurableConsumer {
  constructor(
    nats: NatsClient,
    private readonly index: SubscriptionIndex,
    private readonly deliveries: DeliveryService,
    @Inject(OUTBOUND_SETTINGS) settings: OutboundSettings,
  ) {
    super(nats, {
      consumer: Consumers.gatewayPlatformEvents,
      concurrency: settings.fanoutConcurrency,
      logger: messagingLogger(new Logger(EventFanoutConsumer.name)),
    });
  }

  protected override ready(): Promise<void> {
    return this.index.whenLoaded();
  }

  protected async handle(message: JsMsg): Promise<Disposition> {
    const event = decodeJson<WebhookEvent>(message, 'platform event');
    if (typeof event?.id !== 'string' || typeof event.event !== 'string' || typeof event.workspace !== 'string') {
      throw new SignalboxError('VALIDATION_ERROR', 'not a platform event: id, event and workspace are strings');
    }
    await this.deliveries.fanOut(event);
    return Dispositions.ack();
  }
}
