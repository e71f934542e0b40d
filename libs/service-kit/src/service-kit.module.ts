import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
  type Provider,
} from '@nestjs/common';
import { Subjects } from '@signalbox/contracts';
import { SecretOpener, type VersionedKey } from '@signalbox/crypto';
import { NatsClient, requestService } from '@signalbox/messaging';
import { HealthRegistry, loggerParams, MetricsService } from '@signalbox/observability';
import {
  Database,
  type DatabaseSettings,
  type KeptTable,
  Outbox,
  PartitionKeeper,
  type UsageTable,
} from '@signalbox/persistence';
import { LoggerModule } from 'nestjs-pino';

import type { CommonEnv, DatabaseEnv } from './config/env';
import { HealthController } from './health/health.controller';
import { SERVICE_IDENTITY, type ServiceIdentity } from './health/service-identity';
import { ServiceStatusService } from './health/service-status.service';
import { createStatusController } from './health/status.controller';
import { createUsageController } from './health/usage.controller';

export interface ServiceKitOptions {
  readonly identity: ServiceIdentity;
  readonly env: CommonEnv;
  /**
   * The execution plane's private keys (SECRETS_PRIVATE_KEYS): with them a `SecretOpener` is provided to the
   * whole service, to open the sealed secrets of configs as they are used. data-service only seals.
   */
  readonly openSecrets?: readonly VersionedKey[];
  /**
   * Services that own tables: their schema, entities and checked-in migrations; `outbox` for those whose rows
   * hand work to a queue (an `Outbox` on `<schema>.outbox`, which their migrations create); `usage`: the tables
   * whose rows belong to workspaces, reported by `GET /system/usage` (asked over `system.v1.usage.<service>`);
   * `partitions`: the tables partitioned by day that the service keeps (days made ahead, expired days dropped;
   * a `PartitionKeeper` each, on every replica, one at a time doing the work).
   */
  readonly database?: Pick<DatabaseSettings, 'schema' | 'entities' | 'migrations'> & {
    readonly env: DatabaseEnv;
    readonly outbox?: boolean;
    readonly usage?: readonly UsageTable[];
    readonly partitions?: readonly KeptTable[];
  };
}

const natsServers = (url: string) => url.split(',').map((server) => server.trim());

const loggerFor = (context: string) => {
  const logger = new Logger(context);
  return {
    info: (message: string) => logger.log(message),
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.error(message),
  };
};

/** The service's `PartitionKeeper`s (none for a service without partitioned tables). */
const PARTITION_KEEPERS = Symbol('PARTITION_KEEPERS');

/**
 * Starts the connections without waiting for them (a service whose Postgres or NATS is down still
 * starts, answers not-ready, and becomes ready by itself), and closes them last on shutdown, after
 * the HTTP server has stopped taking requests and in-flight work has finished.
 */
@Injectable()
class DependencyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly health: HealthRegistry,
    private readonly nats: NatsClient,
    @Optional() @Inject(Database) private readonly database: Database | null,
    @Optional() @Inject(Outbox) private readonly outbox: Outbox | null,
    @Optional() @Inject(PARTITION_KEEPERS) private readonly keepers: PartitionKeeper[] | null,
  ) {}

  onApplicationBootstrap(): void {
    if (this.database) {
      const database = this.database;
      this.health.register('postgres', () => database.check());
      database.start();
    }
    this.health.register('nats', () => this.nats.check());
    this.nats.start();
    this.outbox?.start();
    for (const keeper of this.keepers ?? []) keeper.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all((this.keepers ?? []).map((keeper) => keeper.stop()));
    await this.outbox?.stop();
    await this.nats.drain();
    await this.database?.close();
  }
}

/** Everything a Signalbox service has in common: logging, metrics, health, NATS, Postgres, status over NATS. */
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const { identity, env, database, openSecrets } = options;
    const providers: Provider[] = [
      { provide: SERVICE_IDENTITY, useValue: identity },
      { provide: HealthRegistry, useValue: new HealthRegistry() },
      { provide: MetricsService, useValue: new MetricsService(identity.name) },
      {
        provide: NatsClient,
        useFactory: () =>
          new NatsClient(
            {
              servers: natsServers(env.NATS_URL),
              service: identity.name,
              instanceId: identity.instanceId,
              replicas: env.NATS_STREAM_REPLICAS,
              duplicateWindowMs: env.NATS_DUPLICATE_WINDOW_MS,
              recordEventsMaxAgeMs: env.RECORD_EVENTS_MAX_AGE_MS,
              ackWaitMs: env.NATS_ACK_WAIT_MS,
              maxDeliveries: env.NATS_MAX_DELIVERIES,
            },
            loggerFor('nats'),
          ),
      },
      ServiceStatusService,
      DependencyLifecycle,
    ];
    if (openSecrets) providers.push({ provide: SecretOpener, useFactory: () => SecretOpener.create(openSecrets) });
    if (database) {
      providers.push({
        provide: Database,
        useFactory: () =>
          new Database(
            {
              url: database.env.DATABASE_URL,
              poolMax: database.env.DATABASE_POOL_MAX,
              schema: database.schema,
              entities: database.entities,
              migrations: database.migrations,
              applicationName: `${identity.name}:${identity.instanceId}`,
            },
            loggerFor('postgres'),
          ),
      });
      if (database.partitions) {
        const kept = database.partitions;
        providers.push({
          provide: PARTITION_KEEPERS,
          inject: [Database, NatsClient],
          useFactory: (db: Database, nats: NatsClient) =>
            kept.map((table) => {
              if (table.retentionDays * 86_400_000 <= env.RECORD_EVENTS_MAX_AGE_MS) {
                loggerFor('partitions').warn(
                  `${table.table} is kept ${table.retentionDays} days, no longer than RECORD_EVENTS_MAX_AGE_MS: a ` +
                    'record event redelivered after its rows expired would run or deliver again',
                );
              }
              // The workspaces that keep this table's rows fewer days: asked of data-service at each turn.
              const perWorkspace = table.perWorkspace;
              const workspaceDays = perWorkspace
                ? async () => {
                    const { workspaces } = await requestService(nats, Subjects.dataWorkspaceRetention, {}, 10_000);
                    return workspaces.flatMap(({ workspace, ...days }) => {
                      const own = days[perWorkspace.setting];
                      return typeof own === 'number' ? [{ workspace, days: own }] : [];
                    });
                  }
                : undefined;
              return new PartitionKeeper(db, table, table, loggerFor('partitions'), workspaceDays);
            }),
        });
      }
      if (database.outbox) {
        providers.push({
          provide: Outbox,
          inject: [Database, NatsClient],
          useFactory: (db: Database, nats: NatsClient) =>
            new Outbox(db, {
              table: `${database.schema}.outbox`,
              publish: async ({ subject, body, msgId }) => {
                await nats.publish(subject, body, { msgID: msgId });
              },
              graceMs: database.env.OUTBOX_GRACE_MS,
              logger: loggerFor('outbox'),
            }),
        });
      }
    }
    return {
      module: ServiceKitModule,
      global: true,
      imports: [
        LoggerModule.forRoot(
          loggerParams({
            service: identity.name,
            version: identity.version,
            instanceId: identity.instanceId,
            level: env.LOG_LEVEL,
          }),
        ),
      ],
      controllers: [
        HealthController,
        createStatusController(identity.name),
        ...(database?.usage ? [createUsageController(identity.name, database.usage)] : []),
      ],
      providers,
      exports: providers.filter((provider) => provider !== DependencyLifecycle),
    };
  }
}
