import { type DynamicModule, Module } from '@nestjs/common';
import { runQuotaProvider } from '@signalbox/messaging';

import { EndpointService } from './endpoint.service';
import { InputSchemaCheck } from './inbound-request';
import { InboundTriggerIndex } from './inbound-trigger.index';
import { InboundWebhookService } from './inbound-webhook.service';
import { SignatureCheck } from './signature-check';
import { TestSampleBuffer } from './test-samples.buffer';
import { TestSamplesController } from './test-samples.controller';
import { TestSampleRepository } from './test-samples.repository';
import { WebhookDeduplication } from './webhook-deduplication';

/** Inbound webhook and endpoint triggers: the trigger index, accept and call, test samples. */
@Module({})
export class InboundModule {
  static register(runsInFlightPerWorkspace: number): DynamicModule {
    return {
      module: InboundModule,
      controllers: [TestSamplesController],
      providers: [
        TestSampleRepository,
        TestSampleBuffer,
        InboundTriggerIndex,
        InputSchemaCheck,
        SignatureCheck,
        WebhookDeduplication,
        InboundWebhookService,
        EndpointService,
        runQuotaProvider(runsInFlightPerWorkspace),
      ],
      exports: [InboundWebhookService, EndpointService],
    };
  }
}
