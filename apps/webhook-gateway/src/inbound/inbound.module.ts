import { type DynamicModule, Module } from '@nestjs/common';
import { SecretOpener, type VersionedKey } from '@signalbox/crypto';

import { InboundWebhookService } from './inbound-webhook.service';
import { TestSampleBuffer } from './test-samples.buffer';
import { TestSamplesController } from './test-samples.controller';
import { TestSampleRepository } from './test-samples.repository';
import { WebhookTriggerIndex } from './webhook-trigger.index';

/** Inbound webhook triggers: the trigger index, the signing-secret opener and the accept logic. */
@Module({})
export class InboundModule {
  static register(privateKeys: readonly VersionedKey[]): DynamicModule {
    return {
      module: InboundModule,
      controllers: [TestSamplesController],
      providers: [
        TestSampleRepository,
        TestSampleBuffer,
        WebhookTriggerIndex,
        { provide: SecretOpener, useFactory: () => SecretOpener.create(privateKeys) },
        InboundWebhookService,
      ],
      exports: [InboundWebhookService],
    };
  }
}
