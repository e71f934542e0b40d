import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceSchemas } from '@signalbox/contracts';
import { type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import { type Env, executionSettings, type ResolvedKeys } from './config/env.schema';
import { migrations } from './database/migrations';
import { usageTables } from './database/usage';
import { ExecutionModule } from './execution/execution.module';
import { runRetention } from './runs/run-retention';

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
          database: {
            schema: ServiceSchemas['compute-runtime'],
            entities: [],
            migrations,
            env,
            usage: usageTables(env.RUN_RETENTION_DAYS),
            partitions: [runRetention(env.RUN_RETENTION_DAYS)],
            outbox: true,
          },
        }),
        ExecutionModule.register(executionSettings(env)),
      ],
    };
  }
}
