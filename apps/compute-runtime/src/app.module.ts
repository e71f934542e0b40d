import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceSchemas } from '@signalbox/contracts';
import { type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import { type Env, executionSettings, type ResolvedKeys } from './config/env.schema';
import { migrations } from './database/migrations';
import { ExecutionModule } from './execution/execution.module';

@Module({})
export class AppModule {
  static register(env: Env, keys: ResolvedKeys, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          identity,
          env,
          database: { schema: ServiceSchemas['compute-runtime'], entities: [], migrations, env, outbox: true },
        }),
        ExecutionModule.register(executionSettings(env), keys.privateKeys),
      ],
    };
  }
}
