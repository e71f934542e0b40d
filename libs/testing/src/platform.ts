import { type ServiceName, ServiceNames } from '@signalbox/contracts';

import { createTestDatabase, type TestDatabase } from './database';
import { NatsServerProcess } from './processes';
import { ServiceProcess } from './service-process';
import { TEST_JWT_SECRET } from './tokens';

/**
 * A whole platform for one test file: a fresh database, a private nats-server (so nothing another
 * run or a developer's `npm start` does can answer our requests), and the services as processes.
 */
export class Platform {
  private constructor(
    readonly database: TestDatabase,
    readonly nats: NatsServerProcess,
    readonly services: Map<ServiceName, ServiceProcess>,
  ) {}

  static async start(options: { env?: Record<string, string>; only?: readonly ServiceName[] } = {}): Promise<Platform> {
    const database = await createTestDatabase();
    const nats = await NatsServerProcess.create();
    await nats.start();
    const env = {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      JWT_SECRET: TEST_JWT_SECRET,
      // Tests drive one token hard; the rate limits have their own test (api-keys.e2e-spec.ts).
      RATE_LIMIT_READ_PER_MINUTE: '1000000',
      RATE_LIMIT_WRITE_PER_MINUTE: '1000000',
      RATE_LIMIT_EXECUTE_PER_MINUTE: '1000000',
      ...options.env,
    };
    const names = options.only ?? ServiceNames;
    const services = new Map<ServiceName, ServiceProcess>();
    for (const name of names) services.set(name, await ServiceProcess.create(name, env));
    const platform = new Platform(database, nats, services);
    for (const service of services.values()) service.start();
    try {
      await Promise.all([...services.values()].map((service) => service.waitReady(30_000)));
    } catch (error) {
      const logs = [...services.values()]
        .map((service) => `--- ${service.name}\n${service.logs.slice(-2000)}`)
        .join('\n');
      await platform.stop();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs}`, { cause: error });
    }
    return platform;
  }

  service(name: ServiceName): ServiceProcess {
    const service = this.services.get(name);
    if (!service) throw new Error(`${name} was not started`);
    return service;
  }

  /** SIGTERM to every service; resolves with their exit codes. */
  async stop(): Promise<Record<string, number | null>> {
    const codes = await Promise.all(
      [...this.services.values()].map(async (service) => [service.name, await service.stop()]),
    );
    await this.nats.dispose();
    await this.database.drop();
    return Object.fromEntries(codes) as Record<string, number | null>;
  }
}
