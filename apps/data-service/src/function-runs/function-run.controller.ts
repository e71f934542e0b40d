import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '@signalbox/auth';
import {
  type BulkRunJob,
  BulkRunJobSchema,
  CancelRunResponseSchema,
  type CreateBulkRunJob,
  CreateBulkRunJobSchema,
  type FunctionRun,
  type FunctionRunList,
  type FunctionRunListQuery,
  FunctionRunListQuerySchema,
  FunctionRunListSchema,
  type FunctionRunLogs,
  FunctionRunLogsSchema,
  FunctionRunSchema,
  type FunctionRunStats,
  type FunctionRunStatsQuery,
  FunctionRunStatsQuerySchema,
  FunctionRunStatsSchema,
  RetryRunResponseSchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse, ApiListQuery } from '../common/openapi';
import { FunctionRunService } from './function-run.service';

@ApiTags('function-runs')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/function-runs')
export class FunctionRunController {
  constructor(private readonly runs: FunctionRunService) {}

  @Get()
  @RequirePermission('function-runs', 'read')
  @ApiOperation({
    summary:
      'List runs, newest first (filters: triggerId, functionId, status, executionType, from/to, jobId, idempotencyKey)',
  })
  @ApiListQuery(FunctionRunListQuerySchema)
  @ApiJsonResponse(200, FunctionRunListSchema)
  @ApiErrors('VALIDATION_ERROR', 'SERVICE_UNAVAILABLE')
  list(
    @CurrentActor() actor: Actor,
    @Query(new SchemaPipe(FunctionRunListQuerySchema, 'query')) query: FunctionRunListQuery,
  ): Promise<FunctionRunList> {
    return this.runs.list(actor, query);
  }

  @Get('stats')
  @RequirePermission('function-runs', 'read')
  @ApiOperation({ summary: 'Runs of some functions since a time (default: the last 24 h), counted by status' })
  @ApiListQuery(FunctionRunStatsQuerySchema)
  @ApiJsonResponse(200, FunctionRunStatsSchema)
  @ApiErrors('VALIDATION_ERROR', 'SERVICE_UNAVAILABLE')
  stats(
    @CurrentActor() actor: Actor,
    @Query(new SchemaPipe(FunctionRunStatsQuerySchema, 'query')) query: FunctionRunStatsQuery,
  ): Promise<FunctionRunStats> {
    return this.runs.stats(actor, query);
  }

  @Post('bulk')
  @HttpCode(202)
  @RequirePermission('function-triggers', 'execute')
  @ApiOperation({
    summary:
      'Cancel or retry every run a filter matches, in the background (a bulk job): any number of runs, each acted on once',
  })
  @ApiJsonBody(CreateBulkRunJobSchema)
  @ApiJsonResponse(202, BulkRunJobSchema, 'Started')
  @ApiErrors('VALIDATION_ERROR', 'SERVICE_UNAVAILABLE')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'The same key in this workspace answers the same job: a retried request never starts a second one',
  })
  createBulk(
    @CurrentActor() actor: Actor,
    @Body(new SchemaPipe(CreateBulkRunJobSchema, 'body')) body: CreateBulkRunJob,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<BulkRunJob> {
    return this.runs.createBulk(actor, body, idempotencyKey);
  }

  @Get('bulk/:id')
  @RequirePermission('function-runs', 'read')
  @ApiOperation({ summary: "A bulk job's progress: runs matched, looked at and acted on, and its status" })
  @ApiJsonResponse(200, BulkRunJobSchema)
  @ApiErrors('NOT_FOUND', 'SERVICE_UNAVAILABLE')
  getBulk(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<BulkRunJob> {
    return this.runs.getBulk(actor, id);
  }

  @Post('bulk/:id/cancel')
  @HttpCode(200)
  @RequirePermission('function-triggers', 'execute')
  @ApiOperation({ summary: 'Stop a bulk job where it is: the runs it has acted on stay as they are' })
  @ApiJsonResponse(200, BulkRunJobSchema)
  @ApiErrors('NOT_FOUND', 'SERVICE_UNAVAILABLE')
  cancelBulk(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<BulkRunJob> {
    return this.runs.cancelBulk(actor, id);
  }

  @Get(':jobId')
  @RequirePermission('function-runs', 'read')
  @ApiOperation({ summary: 'A run: status, result, error, steps, timing (readable the moment its jobId is returned)' })
  @ApiJsonResponse(200, FunctionRunSchema)
  @ApiErrors('NOT_FOUND', 'SERVICE_UNAVAILABLE')
  get(@CurrentActor() actor: Actor, @Param('jobId') jobId: string): Promise<FunctionRun> {
    return this.runs.get(actor, jobId);
  }

  @Post(':jobId/retry')
  @HttpCode(202)
  @RequirePermission('function-triggers', 'execute')
  @ApiOperation({
    summary:
      'Retry a failed, timed-out or cancelled run: a new attempt that reuses the output of the steps it completed',
    description:
      'A run that a debounce replaced (its input is stale), or one cancelled while running whose sandbox has not ' +
      'stopped it yet, answers 409 INVALID_STATUS with the reason.',
  })
  @ApiJsonResponse(202, RetryRunResponseSchema, 'Queued')
  @ApiErrors('NOT_FOUND', 'INVALID_STATUS', 'SERVICE_UNAVAILABLE')
  retry(@CurrentActor() actor: Actor, @Param('jobId') jobId: string) {
    return this.runs.retry(actor, jobId);
  }

  @Post(':jobId/cancel')
  @HttpCode(200)
  @RequirePermission('function-triggers', 'execute')
  @ApiOperation({
    summary:
      'Cancel a queued, retry-waiting or running run: it never starts, or is stopped in its sandbox within a second; ' +
      'status `cancelled`, event `function.cancelled`. Cancelling a cancelled run answers the same',
  })
  @ApiJsonResponse(200, CancelRunResponseSchema, 'Cancelled')
  @ApiErrors('NOT_FOUND', 'INVALID_STATUS', 'SERVICE_UNAVAILABLE')
  cancel(@CurrentActor() actor: Actor, @Param('jobId') jobId: string) {
    return this.runs.cancel(actor, jobId);
  }

  @Get(':jobId/logs')
  @RequirePermission('function-runs', 'read')
  @ApiOperation({ summary: "A run's api.log lines (bounded)" })
  @ApiJsonResponse(200, FunctionRunLogsSchema)
  @ApiErrors('NOT_FOUND', 'SERVICE_UNAVAILABLE')
  logs(@CurrentActor() actor: Actor, @Param('jobId') jobId: string): Promise<FunctionRunLogs> {
    return this.runs.logs(actor, jobId);
  }
}
