import { Controller, type Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Public } from '@signalbox/auth';
import { type ServiceName, type ServiceStatus, Subjects } from '@signalbox/contracts';

import { ServiceStatusService } from './service-status.service';

/** Answers `system.v1.status.<service>` over NATS request-reply (queue group = service name). */
export function createStatusController(service: ServiceName): Type<unknown> {
  // Public: no HTTP credentials come over NATS (data-service's guard denies what is not marked).
  @Public()
  @Controller()
  class StatusController {
    constructor(private readonly status: ServiceStatusService) {}

    @MessagePattern(Subjects.systemStatus(service))
    answer(): Promise<ServiceStatus> {
      return this.status.current();
    }
  }
  return StatusController;
}
