import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, RequirePermission } from '@signalbox/auth';
import {
  type ApiKey,
  type ApiKeyList,
  ApiKeyListSchema,
  ApiKeySchema,
  type CreateApiKey,
  CreateApiKeySchema,
  type Deleted,
  DeletedSchema,
  type ListQuery,
  ListQuerySchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse, ApiListQuery } from '../common/openapi';
import { ApiKeyService } from './api-key.service';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/api-keys')
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('api-keys', 'write')
  @ApiOperation({ summary: 'Create an API key (shown once); its scopes cannot exceed the creator’s permissions' })
  @ApiJsonBody(CreateApiKeySchema)
  @ApiJsonResponse(201, ApiKeySchema, 'Created')
  @ApiErrors('VALIDATION_ERROR', 'FORBIDDEN')
  create(
    @CurrentActor() actor: Actor,
    @CurrentPrincipal() principal: Principal,
    @Body(new SchemaPipe(CreateApiKeySchema)) body: CreateApiKey,
  ): Promise<ApiKey> {
    return this.keys.create(actor, principal, body);
  }

  @Get()
  @RequirePermission('api-keys', 'read')
  @ApiOperation({ summary: 'List active API keys (prefix, scopes, last used; never the key)' })
  @ApiListQuery(ListQuerySchema)
  @ApiJsonResponse(200, ApiKeyListSchema)
  @ApiErrors('VALIDATION_ERROR')
  list(
    @CurrentActor() actor: Actor,
    @Query(new SchemaPipe(ListQuerySchema, 'query')) query: ListQuery,
  ): Promise<ApiKeyList> {
    return this.keys.list(actor, { limit: query.limit, page: query.page });
  }

  @Delete(':id')
  @RequirePermission('api-keys', 'write')
  @ApiOperation({ summary: 'Revoke an API key: refused from the next request on' })
  @ApiJsonResponse(200, DeletedSchema)
  @ApiErrors('NOT_FOUND')
  revoke(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<Deleted> {
    return this.keys.revoke(actor, id);
  }
}
