import { Controller, Get, Res } from '@nestjs/common';
import { Public } from '@signalbox/auth';
import type { ServiceStatus } from '@signalbox/contracts';
import { MetricsService } from '@signalbox/observability';
import type { FastifyReply } from 'fastify';

import { ServiceStatusService } from './service-status.service';

/** Probes and the Prometheus scrape; public, never logged per request. */
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly status: ServiceStatusService,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is up and its event loop answers. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when every dependency (Postgres, NATS) works, 503 with the failing checks otherwise. */
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ServiceStatus> {
    const status = await this.status.current();
    reply.status(status.ready ? 200 : 503);
    return status;
  }

  @Get('metrics')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { contentType, body } = await this.metrics.render();
    reply.header('content-type', contentType);
    return body;
  }
}
