import { type DynamicModule, Module } from '@nestjs/common';

import { FUNCTION_LIMITS, type FunctionLimits } from './compute-functions/compute-function.constants';
import { ComputeFunctionController } from './compute-functions/compute-function.controller';
import { ComputeFunctionRepository } from './compute-functions/compute-function.repository';
import { ComputeFunctionService } from './compute-functions/compute-function.service';
import { ConfigPublisher } from './config-sync/config-publisher.service';
import { FunctionTriggerController } from './function-triggers/function-trigger.controller';
import { FunctionTriggerRepository } from './function-triggers/function-trigger.repository';
import { FunctionTriggerService } from './function-triggers/function-trigger.service';
import { FunctionTriggerDraftController } from './function-triggers/function-trigger-draft.controller';
import { FunctionTriggerDraftService } from './function-triggers/function-trigger-draft.service';
import { TriggerReplayService } from './function-triggers/trigger-replay.service';
import { TriggerScheduleService } from './function-triggers/trigger-schedule.service';
import { TriggerTestSamplesService } from './function-triggers/trigger-test-samples.service';
import { IdempotencyRepository } from './idempotency/idempotency.repository';
import { IdempotencyService } from './idempotency/idempotency.service';
import { ProviderController } from './providers/provider.controller';
import { PlaintextSweep } from './secrets/plaintext-sweep';
import { WEBHOOK_URL_POLICY, type WebhookUrlPolicy } from './webhooks/webhook.constants';
import { WebhookController } from './webhooks/webhook.controller';
import { WebhookRepository } from './webhooks/webhook.repository';
import { WebhookService } from './webhooks/webhook.service';
import { WebhookDeliveriesService } from './webhooks/webhook-deliveries.service';
import { WebhookRpcController } from './webhooks/webhook-rpc.controller';

/**
 * Compute functions, function triggers (with drafts) and outbound webhook subscriptions: the configuration the
 * platform runs on, published together to the execution plane's KV buckets.
 */
@Module({})
export class CatalogModule {
  static register(limits: FunctionLimits, webhookUrls: WebhookUrlPolicy): DynamicModule {
    return {
      module: CatalogModule,
      controllers: [
        ComputeFunctionController,
        FunctionTriggerDraftController,
        FunctionTriggerController,
        WebhookController,
        WebhookRpcController,
        ProviderController,
      ],
      providers: [
        { provide: FUNCTION_LIMITS, useValue: limits },
        { provide: WEBHOOK_URL_POLICY, useValue: webhookUrls },
        WebhookRepository,
        WebhookService,
        WebhookDeliveriesService,
        ComputeFunctionRepository,
        ComputeFunctionService,
        FunctionTriggerRepository,
        FunctionTriggerService,
        FunctionTriggerDraftService,
        TriggerReplayService,
        TriggerScheduleService,
        TriggerTestSamplesService,
        IdempotencyRepository,
        IdempotencyService,
        ConfigPublisher,
        PlaintextSweep,
      ],
    };
  }
}
