import { type DynamicModule, Module } from '@nestjs/common';
import { type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import type { Env } from './config/env.schema';
import { RoutingModule } from './routing/routing.module';

@Module({})
export class AppModule {
  static register(env: Env, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ identity, env }),
        RoutingModule.register({ concurrency: env.ROUTER_CONCURRENCY, replayMaxEvents: env.REPLAY_MAX_EVENTS }),
      ],
    };
  }
}
