import { Controller, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Public } from '@signalbox/auth';
import { type ServiceName, type ServiceUsage, Subjects, type SystemUsageRequest } from '@signalbox/contracts';
import { Database, measureUsage, type UsageTable } from '@signalbox/persistence';

/**
 * Answers `system.v1.usage.<service>` over NATS request-reply (queue group = service name): the workspace's
 * rows and bytes in each of the service's tables.
 */
export function createUsageController(service: ServiceName, tables: readonly UsageTable[]): Type<unknown> {
  // Public: no HTTP credentials come over NATS (data-service's guard denies what is not marked).
  @Public()
  @Controller()
  class UsageController {
    constructor(private readonly database: Database) {}

    @MessagePattern(Subjects.systemUsage(service))
    async answer(@Payload() request: SystemUsageRequest): Promise<ServiceUsage> {
      const measured = await measureUsage(this.database.source, request.workspace, tables);
      return { tables: measured.map((usage) => ({ service, ...usage })) };
    }
  }
  return UsageController;
}
