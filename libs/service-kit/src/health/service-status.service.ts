import { Inject, Injectable } from '@nestjs/common';
import type { ServiceStatus } from '@signalbox/contracts';
import { HealthRegistry } from '@signalbox/observability';

import { SERVICE_IDENTITY, type ServiceIdentity } from './service-identity';

/** This process's status: identity plus the readiness of every registered dependency. */
@Injectable()
export class ServiceStatusService {
  constructor(
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    private readonly health: HealthRegistry,
  ) {}

  async current(): Promise<ServiceStatus> {
    const report = await this.health.report();
    return {
      name: this.identity.name,
      version: this.identity.version,
      instanceId: this.identity.instanceId,
      uptimeSeconds: Math.round((Date.now() - this.identity.startedAt) / 1000),
      ready: report.ready,
      checks: report.checks,
    };
  }
}
