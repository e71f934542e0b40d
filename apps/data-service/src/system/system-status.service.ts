import { Inject, Injectable } from '@nestjs/common';
import {
  type ServiceName,
  ServiceNames,
  type ServiceStatus,
  Subjects,
  type SystemStatusRequest,
  type SystemStatusResponse,
  type UnreachableService,
} from '@signalbox/contracts';
import { NatsClient, requestService } from '@signalbox/messaging';
import { ServiceStatusService } from '@signalbox/service-kit';

import { SYSTEM_STATUS_TIMEOUT_MS } from './system.constants';
import { unreachable } from './unreachable';

/** Asks every other service over NATS request-reply for its name, version and readiness. */
@Injectable()
export class SystemStatusService {
  constructor(
    private readonly nats: NatsClient,
    @Inject(SYSTEM_STATUS_TIMEOUT_MS) private readonly timeoutMs: number,
    private readonly self: ServiceStatusService,
  ) {}

  async collect(): Promise<SystemStatusResponse> {
    const others = ServiceNames.filter((name) => name !== 'data-service');
    const services = await Promise.all([this.self.current(), ...others.map((name) => this.ask(name))]);
    return { ready: services.every((service) => service.ready), services };
  }

  private async ask(name: ServiceName): Promise<ServiceStatus | UnreachableService> {
    const request: SystemStatusRequest = { requestedAt: new Date().toISOString() };
    try {
      return await requestService(this.nats, Subjects.systemStatus(name), request, this.timeoutMs);
    } catch (error) {
      return unreachable(name, error);
    }
  }
}
