import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '@signalbox/auth';
import {
  type ComputeFunction,
  type ComputeFunctionList,
  ComputeFunctionListSchema,
  ComputeFunctionSchema,
  type CreateComputeFunction,
  CreateComputeFunctionSchema,
  type Deleted,
  DeletedSchema,
  type ListQuery,
  ListQuerySchema,
  type UpdateComputeFunction,
  UpdateComputeFunctionSchema,
  type VersionList,
  VersionListSchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse, ApiListQuery } from '../common/openapi';
import { ComputeFunctionService } from './compute-function.service';

@ApiTags('compute-functions')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/compute-functions')
export class ComputeFunctionController {
  constructor(private readonly functions: ComputeFunctionService) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('compute-functions', 'write')
  @ApiOperation({ summary: 'Create a compute function (and its system default on-demand trigger)' })
  @ApiJsonBody(CreateComputeFunctionSchema)
  @ApiJsonResponse(201, ComputeFunctionSchema, 'Created')
  @ApiErrors('VALIDATION_ERROR', 'CONFLICT', 'PAYLOAD_TOO_LARGE')
  create(
    @CurrentActor() actor: Actor,
    @Body(new SchemaPipe(CreateComputeFunctionSchema)) body: CreateComputeFunction,
  ): Promise<ComputeFunction> {
    return this.functions.create(actor, body);
  }

  @Get()
  @RequirePermission('compute-functions', 'read')
  @ApiOperation({ summary: 'List compute functions' })
  @ApiListQuery(ListQuerySchema)
  @ApiJsonResponse(200, ComputeFunctionListSchema)
  @ApiErrors('VALIDATION_ERROR')
  list(
    @CurrentActor() actor: Actor,
    @Query(new SchemaPipe(ListQuerySchema, 'query')) query: ListQuery,
  ): Promise<ComputeFunctionList> {
    return this.functions.list(actor, query);
  }

  @Get(':id')
  @RequirePermission('compute-functions', 'read')
  @ApiOperation({ summary: 'Get a compute function' })
  @ApiJsonResponse(200, ComputeFunctionSchema)
  @ApiErrors('NOT_FOUND')
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<ComputeFunction> {
    return this.functions.get(actor, id);
  }

  @Put(':id')
  @RequirePermission('compute-functions', 'write')
  @ApiOperation({ summary: 'Update a compute function (partial); stores a version' })
  @ApiJsonBody(UpdateComputeFunctionSchema)
  @ApiJsonResponse(200, ComputeFunctionSchema)
  @ApiErrors('VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE')
  update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body(new SchemaPipe(UpdateComputeFunctionSchema)) body: UpdateComputeFunction,
  ): Promise<ComputeFunction> {
    return this.functions.update(actor, id, body);
  }

  @Delete(':id')
  @RequirePermission('compute-functions', 'write')
  @ApiOperation({ summary: 'Delete a compute function (409 while triggers use it)' })
  @ApiJsonResponse(200, DeletedSchema)
  @ApiErrors('NOT_FOUND', 'CONFLICT')
  delete(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Deleted> {
    return this.functions.delete(actor, id);
  }

  @Get(':id/versions')
  @RequirePermission('compute-functions', 'read')
  @ApiOperation({ summary: 'Version history of a compute function' })
  @ApiJsonResponse(200, VersionListSchema)
  @ApiErrors('NOT_FOUND')
  versions(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<VersionList> {
    return this.functions.versions(actor, id);
  }
}
