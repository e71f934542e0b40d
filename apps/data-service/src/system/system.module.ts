import { type DynamicModule, Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';

import { NATS_RPC, SYSTEM_STATUS_TIMEOUT_MS } from './system.constants';
import { SystemStatusController } from './system-status.controller';
import { SystemStatusService } from './system-status.service';

@Module({})
export class SystemModule {
  static register(options: { natsUrl: string; timeoutMs: number; clientName: string }): DynamicModule {
    return {
      module: SystemModule,
      imports: [
        ClientsModule.register([
          {
            name: NATS_RPC,
            transport: Transport.NATS,
            options: { servers: options.natsUrl.split(','), name: options.clientName, maxReconnectAttempts: -1 },
          },
        ]),
      ],
      controllers: [SystemStatusController],
      providers: [SystemStatusService, { provide: SYSTEM_STATUS_TIMEOUT_MS, useValue: options.timeoutMs }],
    };
  }
}
