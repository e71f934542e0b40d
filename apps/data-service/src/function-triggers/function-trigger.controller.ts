import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '@signalbox/auth';
import {
  type CreateFunctionTrigger,
  CreateFunctionTriggerSchema,
  type Deleted,
  DeletedSchema,
  type ExecuteResponse,
  ExecuteResponseSchema,
  type FunctionTrigger,
  type FunctionTriggerList,
  type FunctionTriggerListQuery,
  FunctionTriggerListQuerySchema,
  type PollState,
  PollStateSchema,
  type Replay,
  type ReplayRequest,
  ReplayRequestSchema,
  ReplaySchema,
  type TriggerSchedule,
  TriggerScheduleSchema,
  TypedCreateFunctionTriggerSchema,
  TypedFunctionTriggerListSchema,
  TypedFunctionTriggerSchema,
  TypedUpdateFunctionTriggerSchema,
  type UpdateFunctionTrigger,
  UpdateFunctionTriggerSchema,
  type VersionList,
  VersionListSchema,
  type WebhookTestSampleList,
  WebhookTestSampleListSchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse, ApiListQuery } from '../common/openapi';
import { FunctionTriggerService } from './function-trigger.service';
import { FunctionTriggerDraftService } from './function-trigger-draft.service';
import { TriggerReplayService } from './trigger-replay.service';
import { TriggerScheduleService } from './trigger-schedule.service';
import { TriggerTestSamplesService } from './trigger-test-samples.service';

@ApiTags('function-triggers')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/function-triggers')
export class FunctionTriggerController {
  constructor(
    private readonly triggers: FunctionTriggerService,
    private readonly drafts: FunctionTriggerDraftService,
    private readonly replays: TriggerReplayService,
    private readonly schedules: TriggerScheduleService,
    private readonly testSamples: TriggerTestSamplesService,
  ) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Create a trigger (seed 000); secret params are sealed' })
  @ApiJsonBody(TypedCreateFunctionTriggerSchema)
  @ApiJsonResponse(201, TypedFunctionTriggerSchema, 'Created')
  @ApiErrors('VALIDATION_ERROR', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'QUOTA_EXCEEDED')
  create(
    @CurrentActor() actor: Actor,
    @Body(new SchemaPipe(CreateFunctionTriggerSchema)) body: CreateFunctionTrigger,
  ): Promise<FunctionTrigger> {
    return this.triggers.create(actor, body);
  }

  @Get()
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'List triggers: search, searchField, limit (500), page (1-based), sort (JSON array)' })
  @ApiListQuery(FunctionTriggerListQuerySchema)
  @ApiJsonResponse(200, TypedFunctionTriggerListSchema)
  @ApiErrors('VALIDATION_ERROR')
  list(
    @CurrentActor() actor: Actor,
    @Query(new SchemaPipe(FunctionTriggerListQuerySchema, 'query')) query: FunctionTriggerListQuery,
  ): Promise<FunctionTriggerList> {
    return this.triggers.list(actor, query);
  }

  @Get(':id')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'Get a trigger; encrypted params stay sealed' })
  @ApiJsonResponse(200, TypedFunctionTriggerSchema)
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<FunctionTrigger> {
    return this.triggers.get(actor, id);
  }

  @Put(':id')
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Update a trigger (partial; executionType cannot change); stores a version' })
  @ApiJsonBody(TypedUpdateFunctionTriggerSchema)
  @ApiJsonResponse(200, TypedFunctionTriggerSchema)
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT')
  update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body(new SchemaPipe(UpdateFunctionTriggerSchema)) body: UpdateFunctionTrigger,
  ): Promise<FunctionTrigger> {
    return this.triggers.update(actor, id, body);
  }

  @Delete(':id')
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Delete a trigger (not the system default one)' })
  @ApiJsonResponse(200, DeletedSchema)
  @ApiErrors('NOT_FOUND', 'CONFLICT')
  delete(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Deleted> {
    return this.triggers.delete(actor, id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Enable a trigger' })
  @ApiJsonResponse(200, TypedFunctionTriggerSchema)
  @ApiErrors('NOT_FOUND', 'CONFLICT')
  enable(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<FunctionTrigger> {
    return this.triggers.setEnabled(actor, id, true);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Disable a trigger: it fires no more until enabled' })
  @ApiJsonResponse(200, TypedFunctionTriggerSchema)
  @ApiErrors('NOT_FOUND', 'CONFLICT')
  disable(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<FunctionTrigger> {
    return this.triggers.setEnabled(actor, id, false);
  }

  @Get(':id/versions')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'Version history: who changed what, when, with a full snapshot' })
  @ApiJsonResponse(200, VersionListSchema)
  @ApiErrors('NOT_FOUND')
  versions(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<VersionList> {
    return this.triggers.versions(actor, id);
  }

  @Post(':id/execute')
  @HttpCode(200)
  @RequirePermission('function-triggers', 'execute')
  @ApiOperation({ summary: 'Execute an on-demand trigger: the whole body becomes executionParams; answers the jobId' })
  @ApiJsonBody(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'any JSON object; checked against inputSchema when set',
    }),
  )
  @ApiJsonResponse(200, ExecuteResponseSchema)
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT', 'INVALID_STATUS', 'QUOTA_EXCEEDED', 'SERVICE_UNAVAILABLE')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key within 24 h: the first jobId again (Idempotent-Replayed: true); with another body: 409',
  })
  async execute(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExecuteResponse> {
    const { response, replayed } = await this.triggers.execute(actor, id, body, idempotencyKey);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return response;
  }

  @Post(':id/replay')
  @HttpCode(202)
  @RequirePermission('function-triggers', 'execute')
  @ApiOperation({
    summary:
      'Re-run an event-driven trigger over the record events of [since, until) (new run ids, executionParams.isReplay: true)',
  })
  @ApiJsonBody(ReplayRequestSchema)
  @ApiJsonResponse(202, ReplaySchema, 'Accepted: follow it at .../replays/{replayId}')
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'INVALID_STATUS', 'SERVICE_UNAVAILABLE')
  replay(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body(new SchemaPipe(ReplayRequestSchema)) body: ReplayRequest,
  ): Promise<Replay> {
    return this.replays.start(actor, id, body);
  }

  @Get(':id/replays/:replayId')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'A replay: status (accepted, running, completed, failed), events scanned, runs started' })
  @ApiJsonResponse(200, ReplaySchema)
  @ApiErrors('NOT_FOUND', 'SERVICE_UNAVAILABLE')
  getReplay(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Param('replayId') replayId: string,
  ): Promise<Replay> {
    return this.replays.get(actor, id, replayId);
  }

  @Get(':id/poll')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'A polling trigger: its cursor (item ids seen), last poll, failures and next poll' })
  @ApiJsonResponse(200, PollStateSchema)
  @ApiErrors('NOT_FOUND', 'INVALID_STATUS', 'SERVICE_UNAVAILABLE')
  poll(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<PollState> {
    return this.schedules.poll(actor, id);
  }

  @Get(':id/schedule')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({
    summary:
      'A scheduled trigger: the next 10 fire times, the last fire, and missed or skipped fires with their reason',
  })
  @ApiJsonResponse(200, TriggerScheduleSchema)
  @ApiErrors('NOT_FOUND', 'INVALID_STATUS', 'SERVICE_UNAVAILABLE')
  schedule(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<TriggerSchedule> {
    return this.schedules.get(actor, id);
  }

  @Get(':id/test-samples')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({
    summary: 'A webhook trigger: the latest 20 requests it received (credentials removed), to build functions against',
  })
  @ApiJsonResponse(200, WebhookTestSampleListSchema)
  @ApiErrors('NOT_FOUND', 'INVALID_STATUS', 'SERVICE_UNAVAILABLE')
  listTestSamples(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<WebhookTestSampleList> {
    return this.testSamples.list(actor, id);
  }

  @Post(':draftId/publish')
  @HttpCode(201)
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Publish a draft: fully validated, creates the trigger (same id), consumes the draft' })
  @ApiJsonResponse(201, TypedFunctionTriggerSchema, 'Created')
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT')
  publish(@CurrentActor() actor: Actor, @Param('draftId') draftId: string): Promise<FunctionTrigger> {
    return this.drafts.publish(actor, draftId);
  }
}
