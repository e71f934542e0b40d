import { type DynamicModule, Module } from '@nestjs/common';

import { SYSTEM_STATUS_TIMEOUT_MS } from './system.constants';
import { SystemStatusController } from './system-status.controller';
import { SystemStatusService } from './system-status.service';

@Module({})
export class SystemModule {
  static register(options: { timeoutMs: number }): DynamicModule {
    return {
      module: SystemModule,
      controllers: [SystemStatusController],
      providers: [SystemStatusService, { provide: SYSTEM_STATUS_TIMEOUT_MS, useValue: options.timeoutMs }],
    };
  }
}
