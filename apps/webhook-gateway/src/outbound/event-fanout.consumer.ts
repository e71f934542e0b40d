import type { JsMsg } from '@nats-io/jetstream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Consumers, outboundDeliveryId, type WebhookEvent } from '@signalbox/contracts';
import { DurableConsumer, messagingLogger, NatsClient } from '@signalbox/messaging';
import { MetricsService } from '@signalbox/observability';
import type { Counter } from 'prom-client';

import { DeliveryQueue } from './delivery.queue';
import { type NewDelivery } from './delivery.repository';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';
import { SubscriptionIndex } from './subscription.index';

/**
 * Turns every platform event (record.*, function.*, trigger.fired on PLATFORM_EVENTS) into one delivery per
 * matching subscription. The delivery id is derived from (event, subscription), so an event redelivered
 * after a crash creates and queues nothing twice. Acked only once its deliveries are stored and queued.
 */
@Injectable()
export class EventFanoutConsumer extends DurableConsumer {
  private readonly logger = new Logger(EventFanoutConsumer.name);
  private readonly created: Counter<'event'>;

  constructor(
    nats: NatsClient,
    private readonly index: SubscriptionIndex,
    private readonly queue: DeliveryQueue,
    @Inject(OUTBOUND_SETTINGS) settings: OutboundSettings,
    metrics: MetricsService,
  ) {
    super(nats, {
      consumer: Consumers.gatewayPlatformEvents,
      concurrency: settings.fanoutConcurrency,
      logger: messagingLogger(new Logger(EventFanoutConsumer.name)),
    });
    this.created = metrics.counter('signalbox_webhook_deliveries_created_total', 'Outbound deliveries created.', [
      'event',
    ]);
  }

  protected override ready(): Promise<void> {
    return this.index.whenLoaded();
  }

  protected async handle(message: JsMsg): Promise<void> {
    let event: WebhookEvent;
    try {
      event = message.json<WebhookEvent>();
      if (typeof event.id !== 'string' || typeof event.event !== 'string' || typeof event.workspace !== 'string') {
        throw new Error('not a platform event');
      }
    } catch (error) {
      this.logger.error(`platform event seq ${message.seq} is unusable, skipped: ${String(error)}`);
      message.term();
      return;
    }
    const subscriptions = this.index.matching(event);
    if (subscriptions.length === 0) {
      message.ack();
      return;
    }
    try {
      // The exact bytes every attempt sends: the event as published, serialized once.
      const body = JSON.stringify({
        id: event.id,
        event: event.event,
        workspace: event.workspace,
        timestamp: event.timestamp,
        data: event.data,
      });
      const deliveries: NewDelivery[] = subscriptions.map((subscription) => ({
        id: outboundDeliveryId(event.workspace, event.id, subscription.id),
        workspace: event.workspace,
        webhookId: subscription.id,
        eventId: event.id,
        event: event.event,
        body,
      }));
      await this.queue.enqueue(deliveries);
      this.created.inc({ event: event.event }, deliveries.length);
      message.ack();
    } catch (error) {
      this.logger.warn(`deliveries of event ${event.id} could not be queued; retrying: ${String(error)}`);
      message.nak(2_000);
    }
  }
}
