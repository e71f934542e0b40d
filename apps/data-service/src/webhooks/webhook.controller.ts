import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '@signalbox/auth';
import {
  type CreateWebhook,
  CreateWebhookSchema,
  type Deleted,
  DeletedSchema,
  type Delivery,
  type DeliveryList,
  type DeliveryListQuery,
  DeliveryListQuerySchema,
  DeliveryListSchema,
  DeliverySchema,
  type ListQuery,
  ListQuerySchema,
  type UpdateWebhook,
  UpdateWebhookSchema,
  type Webhook,
  type WebhookList,
  WebhookListSchema,
  type WebhookReplayRequest,
  WebhookReplayRequestSchema,
  type WebhookReplayResult,
  WebhookReplayResultSchema,
  WebhookSchema,
  type WebhookTestResult,
  WebhookTestResultSchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse, ApiListQuery } from '../common/openapi';
import { WebhookService } from './webhook.service';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

/** Outbound webhooks (seed 001 in full, plus deliveries and replay). */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/webhooks')
export class WebhookController {
  constructor(
    private readonly webhooks: WebhookService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('webhooks', 'write')
  @ApiOperation({ summary: 'Subscribe a URL to events; a whsec_ secret is generated when none is given (shown once)' })
  @ApiJsonBody(CreateWebhookSchema)
  @ApiJsonResponse(201, WebhookSchema, 'Created')
  @ApiErrors('VALIDATION_ERROR', 'CONFLICT')
  create(
    @CurrentActor() actor: Actor,
    @Body(new SchemaPipe(CreateWebhookSchema)) body: CreateWebhook,
  ): Promise<Webhook> {
    return this.webhooks.create(actor, body);
  }

  @Get()
  @RequirePermission('webhooks', 'read')
  @ApiOperation({ summary: 'List webhooks: search (name), limit, page, sort (name, createdAt, updatedAt)' })
  @ApiListQuery(ListQuerySchema)
  @ApiJsonResponse(200, WebhookListSchema)
  @ApiErrors('VALIDATION_ERROR')
  list(
    @CurrentActor() actor: Actor,
    @Query(new SchemaPipe(ListQuerySchema, 'query')) query: ListQuery,
  ): Promise<WebhookList> {
    return this.webhooks.list(actor, query);
  }

  @Get(':id')
  @RequirePermission('webhooks', 'read')
  @ApiOperation({ summary: 'Get a webhook (the secret is never shown again; secretHint tells secrets apart)' })
  @ApiJsonResponse(200, WebhookSchema)
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Webhook> {
    return this.webhooks.get(actor, id);
  }

  @Patch(':id')
  @RequirePermission('webhooks', 'write')
  @ApiOperation({ summary: 'Update a webhook; a new secret is shown once, and the old one signs too for 24 h' })
  @ApiJsonBody(UpdateWebhookSchema)
  @ApiJsonResponse(200, WebhookSchema)
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT')
  update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body(new SchemaPipe(UpdateWebhookSchema)) body: UpdateWebhook,
  ): Promise<Webhook> {
    return this.webhooks.update(actor, id, body);
  }

  @Delete(':id')
  @RequirePermission('webhooks', 'write')
  @ApiOperation({ summary: 'Delete a webhook: nothing more is delivered to it' })
  @ApiJsonResponse(200, DeletedSchema)
  @ApiErrors('NOT_FOUND')
  delete(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Deleted> {
    return this.webhooks.delete(actor, id);
  }

  @Get(':id/deliveries')
  @RequirePermission('webhooks', 'read')
  @ApiOperation({ summary: 'Deliveries, newest first, with every attempt (status code, latency, response)' })
  @ApiListQuery(DeliveryListQuerySchema)
  @ApiJsonResponse(200, DeliveryListSchema)
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'SERVICE_UNAVAILABLE')
  listDeliveries(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Query(new SchemaPipe(DeliveryListQuerySchema, 'query')) query: DeliveryListQuery,
  ): Promise<DeliveryList> {
    return this.deliveries.list(actor, id, query);
  }

  @Get(':id/failures')
  @RequirePermission('webhooks', 'read')
  @ApiOperation({ summary: 'Failed deliveries (every retry used), newest first (seed 001)' })
  @ApiListQuery(DeliveryListQuerySchema)
  @ApiJsonResponse(200, DeliveryListSchema)
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'SERVICE_UNAVAILABLE')
  failures(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Query(new SchemaPipe(DeliveryListQuerySchema, 'query')) query: DeliveryListQuery,
  ): Promise<DeliveryList> {
    return this.deliveries.list(actor, id, { ...query, status: 'failed' });
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequirePermission('webhooks', 'write')
  @ApiOperation({
    summary: 'Replace the signing secret with a new whsec_ one, shown once; the old one signs too for 24 h',
  })
  @ApiJsonResponse(200, WebhookSchema)
  @ApiErrors('NOT_FOUND')
  rotateSecret(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Webhook> {
    return this.webhooks.rotateSecret(actor, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @RequirePermission('webhooks', 'write')
  @ApiOperation({ summary: 'Send a webhook.test event now (one attempt, no retry) and answer the outcome' })
  @ApiJsonResponse(200, WebhookTestResultSchema)
  @ApiErrors('NOT_FOUND', 'SERVICE_UNAVAILABLE')
  test(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<WebhookTestResult> {
    return this.deliveries.test(actor, id);
  }

  @Post(':id/deliveries/:deliveryId/replay')
  @HttpCode(202)
  @RequirePermission('webhooks', 'write')
  @ApiOperation({ summary: 'Deliver one delivery’s event again, as a new delivery with the same event id' })
  @ApiJsonResponse(202, DeliverySchema, 'Queued')
  @ApiErrors('NOT_FOUND', 'SERVICE_UNAVAILABLE')
  replayOne(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<Delivery> {
    return this.deliveries.replayOne(actor, id, deliveryId);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @RequirePermission('webhooks', 'write')
  @ApiOperation({ summary: 'Deliver again every delivery created in [since, until), optionally of one status' })
  @ApiJsonBody(WebhookReplayRequestSchema)
  @ApiJsonResponse(202, WebhookReplayResultSchema, 'Queued')
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'SERVICE_UNAVAILABLE')
  replay(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body(new SchemaPipe(WebhookReplayRequestSchema)) body: WebhookReplayRequest,
  ): Promise<WebhookReplayResult> {
    return this.deliveries.replay(actor, id, body);
  }
}
