import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceSchemas } from '@signalbox/contracts';
import { type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import { type Env, schedulerSettings } from './config/env.schema';
import { migrations } from './database/migrations';
import { SchedulesModule } from './schedules/schedules.module';

@Module({})
export class AppModule {
  static register(env: Env, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          identity,
          env,
          database: { schema: ServiceSchemas['scheduler-service'], entities: [], migrations, env },
        }),
        SchedulesModule.register(schedulerSettings(env)),
      ],
    };
  }
}
