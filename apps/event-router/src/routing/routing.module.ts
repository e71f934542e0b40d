import { type DynamicModule, Module } from '@nestjs/common';

import { ReplayConsumer } from '../replay/replay.consumer';
import { Dispatcher } from './dispatcher';
import { RecordEventConsumer } from './record-event.consumer';
import { ROUTING_SETTINGS, type RoutingSettings } from './routing.settings';
import { TriggerIndex } from './trigger-index';

/** Record events in, runs and webhook events out: the index, the live consumer and replays. */
@Module({})
export class RoutingModule {
  static register(settings: RoutingSettings): DynamicModule {
    return {
      module: RoutingModule,
      providers: [
        { provide: ROUTING_SETTINGS, useValue: settings },
        TriggerIndex,
        Dispatcher,
        RecordEventConsumer,
        ReplayConsumer,
      ],
    };
  }
}
