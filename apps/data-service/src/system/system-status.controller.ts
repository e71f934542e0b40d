import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { type SystemStatusResponse, SystemStatusResponseSchema } from '@signalbox/contracts';

import { ApiErrors, ApiJsonResponse } from '../common/openapi';
import { SystemStatusService } from './system-status.service';

/** Any authenticated member of the workspace may see the platform's status. */
@ApiTags('system')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/system')
export class SystemStatusController {
  constructor(private readonly system: SystemStatusService) {}

  @Get('status')
  @ApiOperation({ summary: 'The status of all five services (each asked over NATS)' })
  @ApiJsonResponse(200, SystemStatusResponseSchema)
  @ApiErrors()
  status(): Promise<SystemStatusResponse> {
    return this.system.collect();
  }
}
