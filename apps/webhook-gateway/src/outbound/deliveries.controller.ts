import { randomUUID } from 'node:crypto';

import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type BulkReplayRequest,
  type Delivery,
  type DeliveryList,
  type DeliveryListRequest,
  type DeliveryReplayRequest,
  Subjects,
  WEBHOOK_TEST_EVENT,
  type WebhookReplayResult,
  type WebhookTestRequest,
  type WebhookTestResult,
} from '@signalbox/contracts';

import { DeliveryQueue } from './delivery.queue';
import { DeliveryRepository, type DeliveryRow, type NewDelivery, toDelivery } from './delivery.repository';
import { DeliverySender } from './delivery.sender';
import { OUTBOUND_SETTINGS, type OutboundSettings } from './outbound.settings';

/**
 * NATS request-reply (queue group webhook-gateway) behind data-service's delivery routes. data-service has
 * checked the subscription and the caller's workspace; every query here is scoped by both again.
 */
@Controller()
export class DeliveriesController {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly queue: DeliveryQueue,
    private readonly sender: DeliverySender,
    @Inject(OUTBOUND_SETTINGS) private readonly settings: OutboundSettings,
  ) {}

  @MessagePattern(Subjects.gatewayListDeliveries)
  async list(@Payload() request: DeliveryListRequest): Promise<DeliveryList> {
    const limit = request.limit ?? 50;
    const page = request.page ?? 1;
    const { deliveries, total } = await this.deliveries.list(request.workspace, request.webhookId, {
      status: request.status,
      limit,
      page,
    });
    return { deliveries, total, page, limit };
  }

  /** `webhook.test`: one attempt now, recorded as a delivery, never retried; the outcome is the answer. */
  @MessagePattern(Subjects.gatewayTestWebhook)
  async test(@Payload() request: WebhookTestRequest): Promise<WebhookTestResult> {
    const id = randomUUID();
    const body = JSON.stringify({
      id: `test.${id}`,
      event: WEBHOOK_TEST_EVENT,
      workspace: request.workspace,
      timestamp: new Date().toISOString(),
      data: { webhookId: request.webhookId, message: 'This is a test event from Signalbox.' },
    });
    const delivery: NewDelivery = {
      id,
      workspace: request.workspace,
      webhookId: request.webhookId,
      eventId: `test.${id}`,
      event: WEBHOOK_TEST_EVENT,
      body,
    };
    const attempt = await this.sender.send(request.config, {
      deliveryId: id,
      event: WEBHOOK_TEST_EVENT,
      body,
      attempt: 1,
    });
    await this.deliveries.recordTest(delivery, attempt, attempt.delivered ? 'delivered' : 'failed');
    return {
      delivered: attempt.delivered,
      deliveryId: id,
      statusCode: attempt.statusCode,
      latencyMs: attempt.latencyMs,
      error: attempt.error,
      responseBody: attempt.responseBody,
    };
  }

  /** A new delivery of the same event (same event id, same bytes), with the subscription's retries. */
  @MessagePattern(Subjects.gatewayReplayDelivery)
  async replayOne(@Payload() request: DeliveryReplayRequest): Promise<Delivery | null> {
    const original = await this.deliveries.findIn(request.workspace, request.webhookId, request.deliveryId);
    if (!original) return null;
    const replay = replayOf(original);
    await this.queue.enqueue([replay]);
    const stored = await this.deliveries.find(replay.id);
    return stored ? toDelivery(stored) : null;
  }

  @MessagePattern(Subjects.gatewayReplayDeliveries)
  async replay(@Payload() request: BulkReplayRequest): Promise<WebhookReplayResult> {
    const originals = await this.deliveries.inRange(
      request.workspace,
      request.webhookId,
      request,
      this.settings.maxReplay,
    );
    const replays = originals.map(replayOf);
    await this.queue.enqueue(replays);
    return { replayed: replays.length, deliveryIds: replays.map((replay) => replay.id) };
  }
}

function replayOf(original: DeliveryRow): NewDelivery {
  return {
    id: randomUUID(),
    workspace: original.workspace_slug,
    webhookId: original.webhook_id,
    eventId: original.event_id,
    event: original.event,
    body: original.body,
    replayOf: original.id,
  };
}
