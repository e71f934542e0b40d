import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Public } from '@signalbox/auth';
import { type DisableWebhookRequest, Subjects } from '@signalbox/contracts';

import { WebhookService } from './webhook.service';

/** NATS request-reply from webhook-gateway (no HTTP route): the subscriptions table has one writer, here. */
@Controller()
export class WebhookRpcController {
  constructor(private readonly webhooks: WebhookService) {}

  /** A subscription that failed every delivery for too long is disabled, with the reason. */
  @Public()
  @MessagePattern(Subjects.dataDisableWebhook)
  async disableFailing(@Payload() request: DisableWebhookRequest): Promise<{ ok: true }> {
    await this.webhooks.disable(request.workspace, request.webhookId, request.reason);
    return { ok: true };
  }
}
