import { Injectable } from '@nestjs/common';
import {
  type BulkReplayRequest,
  type Delivery,
  type DeliveryList,
  type DeliveryListQuery,
  type DeliveryListRequest,
  type DeliveryReplayRequest,
  SignalboxError,
  Subjects,
  type WebhookReplayRequest,
  type WebhookReplayResult,
  type WebhookTestRequest,
  type WebhookTestResult,
} from '@signalbox/contracts';

import type { Actor } from '../common/actor';
import { RpcClient } from '../rpc/rpc.client';
import { toWebhookConfig } from './webhook.mapper';
import { WebhookService } from './webhook.service';

const UNAVAILABLE = 'the webhook gateway did not answer; retry shortly';
/** A test waits for one delivery attempt: the receiver's 30 s, and some room. */
const TEST_TIMEOUT_MS = 35_000;

/**
 * Deliveries belong to webhook-gateway (one writer per table): these routes check the subscription here
 * (workspace scope, 404) and ask the gateway over NATS request-reply.
 */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly webhooks: WebhookService,
    private readonly rpc: RpcClient,
  ) {}

  async list(actor: Actor, webhookId: string, query: DeliveryListQuery): Promise<DeliveryList> {
    await this.webhooks.find(actor.workspace, webhookId);
    const request: DeliveryListRequest = { ...query, workspace: actor.workspace, webhookId };
    return this.rpc.ask(Subjects.gatewayListDeliveries, request, UNAVAILABLE);
  }

  async test(actor: Actor, webhookId: string): Promise<WebhookTestResult> {
    const record = await this.webhooks.find(actor.workspace, webhookId);
    const request: WebhookTestRequest = { workspace: actor.workspace, webhookId, config: toWebhookConfig(record) };
    return this.rpc.ask(Subjects.gatewayTestWebhook, request, UNAVAILABLE, TEST_TIMEOUT_MS);
  }

  async replayOne(actor: Actor, webhookId: string, deliveryId: string): Promise<Delivery> {
    await this.webhooks.find(actor.workspace, webhookId);
    const request: DeliveryReplayRequest = { workspace: actor.workspace, webhookId, deliveryId };
    const replayed = await this.rpc.ask(Subjects.gatewayReplayDelivery, request, UNAVAILABLE);
    if (!replayed) throw new SignalboxError('NOT_FOUND', `Delivery with ID ${deliveryId} not found`);
    return replayed;
  }

  async replay(actor: Actor, webhookId: string, body: WebhookReplayRequest): Promise<WebhookReplayResult> {
    await this.webhooks.find(actor.workspace, webhookId);
    if (body.until !== undefined && Date.parse(body.until) <= Date.parse(body.since)) {
      throw new SignalboxError('VALIDATION_ERROR', 'until must be after since', [
        { path: ['until'], message: 'until must be after since' },
      ]);
    }
    const request: BulkReplayRequest = { ...body, workspace: actor.workspace, webhookId };
    return this.rpc.ask(Subjects.gatewayReplayDeliveries, request, UNAVAILABLE);
  }
}
