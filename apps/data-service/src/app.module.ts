import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule, type AuthSettings } from '@signalbox/auth';
import { ServiceSchemas } from '@signalbox/contracts';
import { parseAllowedHosts } from '@signalbox/net-guard';
import { type ServiceIdentity, ServiceKitModule } from '@signalbox/service-kit';

import { ApiKeyService } from './api-keys/api-key.service';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { CatalogModule } from './catalog.module';
import type { Env, ResolvedSecrets } from './config/env.schema';
import { entities } from './database/entities';
import { migrations } from './database/migrations';
import { usageTables } from './database/usage';
import { FunctionRunsModule } from './function-runs/function-runs.module';
import { LiveModule } from './live/live.module';
import { QuotasModule } from './quotas/quotas.module';
import { RateLimitsModule } from './rate-limits/rate-limits.module';
import { RecordEventsModule } from './record-events/record-events.module';
import { SecretsModule } from './secrets/secrets.module';
import { SystemModule } from './system/system.module';

@Module({})
export class AppModule {
  static register(env: Env, auth: AuthSettings, secrets: ResolvedSecrets, identity: ServiceIdentity): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          identity,
          env,
          database: { schema: ServiceSchemas['data-service'], entities, migrations, env, usage: usageTables },
        }),
        AuthModule.forRoot(auth, { apiKeys: { module: ApiKeysModule, verifier: ApiKeyService } }),
        SecretsModule.register(secrets.publicKey),
        CatalogModule.register(
          {
            maxCodeBytes: env.FUNCTION_CODE_MAX_BYTES,
            defaultTimeoutMs: env.FUNCTION_DEFAULT_TIMEOUT_MS,
            defaultMemoryMb: env.FUNCTION_DEFAULT_MEMORY_MB,
          },
          {
            allowPrivateNetworks: env.FETCH_ALLOW_PRIVATE_NETWORKS,
            allowedHosts: parseAllowedHosts(env.FETCH_ALLOWED_HOSTS),
          },
        ),
        QuotasModule.register({
          runsInFlight: env.RUNS_IN_FLIGHT_PER_WORKSPACE,
          schedules: env.SCHEDULES_PER_WORKSPACE,
        }),
        SystemModule.register({ timeoutMs: env.SYSTEM_STATUS_TIMEOUT_MS }),
        FunctionRunsModule.register({ timeoutMs: env.RUNTIME_REQUEST_TIMEOUT_MS }),
        RecordEventsModule,
        LiveModule.register({ perWorkspace: env.LIVE_STREAMS_PER_WORKSPACE, total: env.LIVE_STREAMS_MAX }),
        RateLimitsModule.register({
          read: env.RATE_LIMIT_READ_PER_MINUTE,
          write: env.RATE_LIMIT_WRITE_PER_MINUTE,
          execute: env.RATE_LIMIT_EXECUTE_PER_MINUTE,
        }),
      ],
    };
  }
}
