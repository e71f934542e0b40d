import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceSchemas } from '@signalbox/contracts';
import { type ResolvedKeys, type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import { type Env, outboundSettings } from './config/env.schema';
import { migrations } from './database/migrations';
import { usageTables } from './database/usage';
import { InboundModule } from './inbound/inbound.module';
import { deliveryRetention } from './outbound/delivery-retention';
import { OutboundModule } from './outbound/outbound.module';

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
            schema: ServiceSchemas['webhook-gateway'],
            entities: [],
            migrations,
            env,
            usage: usageTables(env.DELIVERY_RETENTION_DAYS),
            partitions: [deliveryRetention(env.DELIVERY_RETENTION_DAYS)],
            outbox: true,
          },
        }),
        InboundModule.register(env.RUNS_IN_FLIGHT_PER_WORKSPACE),
        OutboundModule.register(outboundSettings(env)),
      ],
    };
  }
}
