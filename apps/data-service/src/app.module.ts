import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule, type AuthSettings } from '@signalbox/auth';
import { ServiceSchemas } from '@signalbox/contracts';
import { type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import type { Env } from './config/env.schema';
import { migrations } from './database/migrations';
import { SystemModule } from './system/system.module';

@Module({})
export class AppModule {
  static register(env: Env, auth: AuthSettings, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          identity,
          env,
          database: { schema: ServiceSchemas['data-service'], entities: [], migrations, env },
        }),
        AuthModule.forRoot(auth),
        SystemModule.register({
          natsUrl: env.NATS_URL,
          timeoutMs: env.SYSTEM_STATUS_TIMEOUT_MS,
          clientName: `data-service:${identity.instanceId}:rpc-client`,
        }),
      ],
    };
  }
}
