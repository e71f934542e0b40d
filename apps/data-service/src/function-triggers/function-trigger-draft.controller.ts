import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '@signalbox/auth';
import {
  type Deleted,
  DeletedSchema,
  type FunctionTriggerDraft,
  type FunctionTriggerDraftInput,
  FunctionTriggerDraftInputSchema,
  type FunctionTriggerDraftList,
  FunctionTriggerDraftListSchema,
  FunctionTriggerDraftSchema,
  type ListQuery,
  ListQuerySchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse, ApiListQuery } from '../common/openapi';
import { FunctionTriggerDraftService } from './function-trigger-draft.service';

@ApiTags('function-trigger-drafts')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/function-triggers/drafts')
export class FunctionTriggerDraftController {
  constructor(private readonly drafts: FunctionTriggerDraftService) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Create a draft (loosely validated: shapes only)' })
  @ApiJsonBody(FunctionTriggerDraftInputSchema)
  @ApiJsonResponse(201, FunctionTriggerDraftSchema, 'Created')
  @ApiErrors('VALIDATION_ERROR')
  create(
    @CurrentActor() actor: Actor,
    @Body(new SchemaPipe(FunctionTriggerDraftInputSchema)) body: FunctionTriggerDraftInput,
  ): Promise<FunctionTriggerDraft> {
    return this.drafts.create(actor, body);
  }

  @Get()
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'List drafts' })
  @ApiListQuery(ListQuerySchema)
  @ApiJsonResponse(200, FunctionTriggerDraftListSchema)
  @ApiErrors('VALIDATION_ERROR')
  list(
    @CurrentActor() actor: Actor,
    @Query(new SchemaPipe(ListQuerySchema, 'query')) query: ListQuery,
  ): Promise<FunctionTriggerDraftList> {
    return this.drafts.list(actor, query);
  }

  @Get(':id')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'Get a draft' })
  @ApiJsonResponse(200, FunctionTriggerDraftSchema)
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<FunctionTriggerDraft> {
    return this.drafts.get(actor, id);
  }

  @Put(':id')
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Update a draft (partial)' })
  @ApiJsonBody(FunctionTriggerDraftInputSchema)
  @ApiJsonResponse(200, FunctionTriggerDraftSchema)
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND')
  update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body(new SchemaPipe(FunctionTriggerDraftInputSchema)) body: FunctionTriggerDraftInput,
  ): Promise<FunctionTriggerDraft> {
    return this.drafts.update(actor, id, body);
  }

  @Delete(':id')
  @RequirePermission('function-triggers', 'write')
  @ApiOperation({ summary: 'Delete a draft' })
  @ApiJsonResponse(200, DeletedSchema)
  @ApiErrors('NOT_FOUND')
  delete(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Deleted> {
    return this.drafts.delete(actor, id);
  }
}
