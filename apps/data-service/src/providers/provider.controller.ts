import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '@signalbox/auth';
import {
  type ProviderList,
  ProviderListSchema,
  type ProviderTrigger,
  type ProviderTriggerList,
  ProviderTriggerListSchema,
  ProviderTriggerSchema,
} from '@signalbox/contracts';

import { ApiErrors, ApiJsonResponse } from '../common/openapi';
import { listProviders, providerTrigger, providerTriggers } from './provider-catalog';

/** The built-in provider catalog: templates for webhook triggers (create one with providerId + providerTriggerId). */
@ApiTags('providers')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/providers')
export class ProviderController {
  @Get()
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'Providers with trigger templates (Stripe, GitHub, Slack, Clerk)' })
  @ApiJsonResponse(200, ProviderListSchema)
  @ApiErrors()
  list(): ProviderList {
    return { providers: listProviders() };
  }

  @Get(':provider/triggers')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: "A provider's trigger templates" })
  @ApiJsonResponse(200, ProviderTriggerListSchema)
  @ApiErrors('NOT_FOUND')
  triggers(@Param('provider') provider: string): ProviderTriggerList {
    return { triggers: providerTriggers(provider) };
  }

  @Get(':provider/triggers/:triggerId')
  @RequirePermission('function-triggers', 'read')
  @ApiOperation({ summary: 'One trigger template: the metadata a trigger made from it gets' })
  @ApiJsonResponse(200, ProviderTriggerSchema)
  @ApiErrors('NOT_FOUND')
  trigger(@Param('provider') provider: string, @Param('triggerId') triggerId: string): ProviderTrigger {
    return providerTrigger(provider, triggerId);
  }
}
