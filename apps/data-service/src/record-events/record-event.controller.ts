import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '@signalbox/auth';
import {
  type PublishRecordEvent,
  type PublishRecordEventResponse,
  PublishRecordEventResponseSchema,
  PublishRecordEventSchema,
} from '@signalbox/contracts';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, ApiJsonBody, ApiJsonResponse } from '../common/openapi';
import { RecordEventService } from './record-event.service';

@ApiTags('events')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/events')
export class RecordEventController {
  constructor(private readonly events: RecordEventService) {}

  @Post()
  @HttpCode(202)
  @RequirePermission('events', 'write')
  @ApiOperation({
    summary: 'Publish a record event over HTTP: the same message a NATS publisher would send (docs/record-events.md)',
  })
  @ApiJsonBody(PublishRecordEventSchema)
  @ApiJsonResponse(202, PublishRecordEventResponseSchema, 'Stored in the RECORD_EVENTS stream')
  @ApiErrors('VALIDATION_ERROR', 'QUOTA_EXCEEDED', 'SERVICE_UNAVAILABLE')
  publish(
    @CurrentActor() actor: Actor,
    @Body(new SchemaPipe(PublishRecordEventSchema)) body: PublishRecordEvent,
  ): Promise<PublishRecordEventResponse> {
    return this.events.publish(actor, body);
  }
}
