import { type DynamicModule, Module } from '@nestjs/common';
import { SecretOpener, type VersionedKey } from '@signalbox/crypto';

import { EndpointService } from './endpoint.service';
import { InputSchemaCheck } from './inbound-request';
import { InboundTriggerIndex } from './inbound-trigger.index';
import { InboundWebhookService } from './inbound-webhook.service';
import { TestSampleBuffer } from './test-samples.buffer';
import { TestSamplesController } from './test-samples.controller';
import { TestSampleRepository } from './test-samples.repository';

/** Inbound webhook and endpoint triggers: the trigger index, the signing-secret opener, accept and call. */
@Module({})
export class InboundModule {
  static register(privateKeys: readonly VersionedKey[]): DynamicModule {
    return {
      module: InboundModule,
      controllers: [TestSamplesController],
      providers: [
        TestSampleRepository,
        TestSampleBuffer,
        InboundTriggerIndex,
        { provide: SecretOpener, useFactory: () => SecretOpener.create(privateKeys) },
        InputSchemaCheck,
        InboundWebhookService,
        EndpointService,
      ],
      exports: [InboundWebhookService, EndpointService],
    };
  }
}
