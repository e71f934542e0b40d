import { Body, Controller, Get, Put } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Public, RequirePermission } from '@signalbox/auth';
import {
  Subjects,
  type UpdateWorkspaceRetention,
  UpdateWorkspaceRetentionSchema,
  type WorkspaceRetention,
  type WorkspaceRetentionList,
  WorkspaceRetentionSchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse } from '../common/openapi';
import { WorkspaceRetentionService } from './workspace-retention.service';

/**
 * A workspace's own retention of runs and deliveries, shorter than the platform's. compute-runtime and
 * webhook-gateway ask for the list hourly (`data.v1.retention.list`) and delete what is older.
 */
@ApiTags('system')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/system/retention')
export class RetentionController {
  constructor(private readonly settings: WorkspaceRetentionService) {}

  @Get()
  @RequirePermission('settings', 'read')
  @ApiOperation({ summary: "The workspace's own retention of runs and deliveries (null: the platform's)" })
  @ApiJsonResponse(200, WorkspaceRetentionSchema)
  @ApiErrors()
  get(@CurrentActor() actor: Actor): Promise<WorkspaceRetention> {
    return this.settings.get(actor.workspace);
  }

  @Put()
  @RequirePermission('settings', 'write')
  @ApiOperation({
    summary: "Set the workspace's own retention of runs and deliveries",
    description:
      "Days, 1 to 3650, or null for the platform's. Only a retention shorter than the platform's changes anything: " +
      'within the hour, runs (or deliveries with their attempts) older than it are deleted, except those still ' +
      'queued, running or pending. A run id is recognised as a duplicate only while its run is kept.',
  })
  @ApiJsonBody(UpdateWorkspaceRetentionSchema)
  @ApiJsonResponse(200, WorkspaceRetentionSchema)
  @ApiErrors('VALIDATION_ERROR')
  update(
    @CurrentActor() actor: Actor,
    @Body(new SchemaPipe(UpdateWorkspaceRetentionSchema)) body: UpdateWorkspaceRetention,
  ): Promise<WorkspaceRetention> {
    return this.settings.update(actor.workspace, body, actor.subject);
  }
}

/** NATS request-reply from the services that keep runs and deliveries (no HTTP route). */
@Controller()
export class RetentionRpcController {
  constructor(private readonly settings: WorkspaceRetentionService) {}

  @Public()
  @MessagePattern(Subjects.dataWorkspaceRetention)
  list(): Promise<WorkspaceRetentionList> {
    return this.settings.listSet();
  }
}
