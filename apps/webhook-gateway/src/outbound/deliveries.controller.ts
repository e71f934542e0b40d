import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type BulkReplayRequest,
  type Delivery,
  type DeliveryList,
  type DeliveryListRequest,
  type DeliveryReplayRequest,
  Subjects,
  type WebhookReplayResult,
  type WebhookTestRequest,
  type WebhookTestResult,
} from '@signalbox/contracts';

import { DeliveryService } from './delivery.service';

/**
 * NATS request-reply (queue group webhook-gateway) behind data-service's delivery routes. data-service has
 * checked the subscription and the caller's workspace; every query is scoped by both again.
 */
@Controller()
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveryService) {}

  @MessagePattern(Subjects.gatewayListDeliveries)
  list(@Payload() request: DeliveryListRequest): Promise<DeliveryList> {
    return this.deliveries.list(request);
  }

  @MessagePattern(Subjects.gatewayTestWebhook)
  test(@Payload() request: WebhookTestRequest): Promise<WebhookTestResult> {
    return this.deliveries.test(request);
  }

  @MessagePattern(Subjects.gatewayReplayDelivery)
  replayOne(@Payload() request: DeliveryReplayRequest): Promise<Delivery | null> {
    return this.deliveries.replayOne(request);
  }

  @MessagePattern(Subjects.gatewayReplayDeliveries)
  replay(@Payload() request: BulkReplayRequest): Promise<WebhookReplayResult> {
    return this.deliveries.replay(request);
  }
}
