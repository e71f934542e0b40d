import { type DynamicModule, Module } from '@nestjs/common';
import { SecretOpener, type VersionedKey } from '@signalbox/crypto';

import { TriggersModule } from '../triggers/triggers.module';
import { PollController } from './poll.controller';
import { PollRepository } from './poll.repository';
import { Poller, POLLING_SETTINGS, type PollingSettings } from './poller';

/** Polling triggers: the poll table in step with the config, the poll loop, the cursor read. */
@Module({})
export class PollingModule {
  static register(settings: PollingSettings, privateKeys: readonly VersionedKey[]): DynamicModule {
    return {
      module: PollingModule,
      imports: [TriggersModule],
      controllers: [PollController],
      providers: [
        { provide: POLLING_SETTINGS, useValue: settings },
        // Polling headers may be sealed secrets: opened here, in the execution plane.
        { provide: SecretOpener, useFactory: () => SecretOpener.create(privateKeys) },
        PollRepository,
        Poller,
      ],
    };
  }
}
