import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceSchemas } from '@signalbox/contracts';
import { type ResolvedKeys, type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import type { Env } from './config/env.schema';
import { migrations } from './database/migrations';
import { InboundModule } from './inbound/inbound.module';

@Module({})
export class AppModule {
  static register(env: Env, keys: ResolvedKeys, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          identity,
          env,
          database: { schema: ServiceSchemas['webhook-gateway'], entities: [], migrations, env },
        }),
        InboundModule.register(keys.privateKeys),
      ],
    };
  }
}
