import { type DynamicModule, Module } from '@nestjs/common';

import { LiveController } from './live.controller';
import { LIVE_SETTINGS, LiveHub, type LiveSettings } from './live.hub';

/** `GET /live`: a workspace's run, delivery and record-event news as server-sent events, fed from core NATS. */
@Module({})
export class LiveModule {
  static register(settings: LiveSettings): DynamicModule {
    return {
      module: LiveModule,
      controllers: [LiveController],
      providers: [LiveHub, { provide: LIVE_SETTINGS, useValue: settings }],
      exports: [LiveHub],
    };
  }
}
