import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceSchemas } from '@signalbox/contracts';
import { type ResolvedKeys, type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import { type Env, pollingSettings, schedulerSettings } from './config/env.schema';
import { migrations } from './database/migrations';
import { usageTables } from './database/usage';
import { PollingModule } from './polling/polling.module';
import { SchedulesModule } from './schedules/schedules.module';

@Module({})
export class AppModule {
  static register(env: Env, keys: ResolvedKeys, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          identity,
          env,
          openSecrets: keys.privateKeys,
          database: { schema: ServiceSchemas['scheduler-service'], entities: [], migrations, env, usage: usageTables },
        }),
        SchedulesModule.register(schedulerSettings(env)),
        PollingModule.register(pollingSettings(env)),
      ],
    };
  }
}
