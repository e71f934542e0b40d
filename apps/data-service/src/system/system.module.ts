import { type DynamicModule, Module } from '@nestjs/common';

import { RetentionModule } from '../retention/retention.module';
import { SYSTEM_STATUS_TIMEOUT_MS, SYSTEM_USAGE_TIMEOUT_MS } from './system.constants';
import { SystemStatusController } from './system-status.controller';
import { SystemStatusService } from './system-status.service';
import { SystemUsageService } from './system-usage.service';

/** Counting a workspace's rows in a table of millions takes seconds. */
const USAGE_TIMEOUT_MS = 30_000;

@Module({})
export class SystemModule {
  static register(options: { timeoutMs: number }): DynamicModule {
    return {
      module: SystemModule,
      imports: [RetentionModule],
      controllers: [SystemStatusController],
      providers: [
        SystemStatusService,
        SystemUsageService,
        { provide: SYSTEM_STATUS_TIMEOUT_MS, useValue: options.timeoutMs },
        { provide: SYSTEM_USAGE_TIMEOUT_MS, useValue: USAGE_TIMEOUT_MS },
      ],
    };
  }
}
