import { Controller, Get } from '@nestjs/common';
import type { SystemStatusResponse } from '@signalbox/contracts';

import { SystemStatusService } from './system-status.service';

/** Any authenticated member of the workspace may see the platform's status. */
@Controller('workspace/:workspace/api/v1/system')
export class SystemStatusController {
  constructor(private readonly system: SystemStatusService) {}

  @Get('status')
  status(): Promise<SystemStatusResponse> {
    return this.system.collect();
  }
}
