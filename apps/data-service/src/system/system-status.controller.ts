import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  type SystemStatusResponse,
  SystemStatusResponseSchema,
  type SystemUsageResponse,
  SystemUsageResponseSchema,
} from '@signalbox/contracts';

import { ApiErrors, ApiJsonResponse } from '../common/openapi';
import { SystemStatusService } from './system-status.service';
import { SystemUsageService } from './system-usage.service';

/** Any authenticated member of the workspace may see the platform's status and the workspace's usage. */
@ApiTags('system')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/system')
export class SystemStatusController {
  constructor(
    private readonly system: SystemStatusService,
    private readonly usage: SystemUsageService,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'The status of all five services (each asked over NATS)' })
  @ApiJsonResponse(200, SystemStatusResponseSchema)
  @ApiErrors()
  status(): Promise<SystemStatusResponse> {
    return this.system.collect();
  }

  @Get('usage')
  @ApiOperation({
    summary: "The workspace's rows and bytes in each table, and how long each keeps them",
    description:
      "Rows are counted; bytes are estimated from each table's average row size (indexes included). Each service " +
      'that owns tables measures its own; one that does not answer within 30 s is listed in `unreachable`.',
  })
  @ApiJsonResponse(200, SystemUsageResponseSchema)
  @ApiErrors()
  workspaceUsage(@Param('workspace') workspace: string): Promise<SystemUsageResponse> {
    return this.usage.collect(workspace);
  }
}
