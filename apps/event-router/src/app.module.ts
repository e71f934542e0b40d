import { type DynamicModule, Module } from '@nestjs/common';
import { type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import type { Env } from './config/env.schema';

@Module({})
export class AppModule {
  static register(env: Env, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ identity, env })],
    };
  }
}
