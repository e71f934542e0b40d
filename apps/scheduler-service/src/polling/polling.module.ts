import { type DynamicModule, Module } from '@nestjs/common';

import { TriggersModule } from '../triggers/triggers.module';
import { PollController } from './poll.controller';
import { PollRepository } from './poll.repository';
import { Poller, POLLING_SETTINGS, type PollingSettings } from './poller';

/** Polling triggers: the poll table in step with the config, the poll loop, the cursor read. */
@Module({})
export class PollingModule {
  static register(settings: PollingSettings): DynamicModule {
    return {
      module: PollingModule,
      imports: [TriggersModule],
      controllers: [PollController],
      providers: [{ provide: POLLING_SETTINGS, useValue: settings }, PollRepository, Poller],
    };
  }
}
