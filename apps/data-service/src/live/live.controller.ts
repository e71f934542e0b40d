import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { hasPermission, type Principal } from '@signalbox/auth';
import {
  LiveDeliveryEventSchema,
  LiveRecordEventSchema,
  LiveRunEventSchema,
  type LiveTopic,
  LiveTopics,
  SignalboxError,
} from '@signalbox/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { Actor } from '../common/actor';
import { CurrentActor } from '../common/actor.decorator';
import { ApiErrors, componentRef } from '../common/openapi';
import { EventStream } from './event-stream';
import { LiveHub } from './live.hub';

/** What each topic needs the caller to hold. */
const TOPIC_PERMISSIONS = {
  run: { resource: 'function-runs', action: 'read' },
  delivery: { resource: 'webhooks', action: 'read' },
  event: { resource: 'events', action: 'read' },
} as const satisfies Record<LiveTopic, unknown>;

@ApiTags('live')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('workspace/:workspace/api/v1/live')
export class LiveController {
  constructor(private readonly hub: LiveHub) {}

  @Get()
  @ApiOperation({
    summary: "The workspace's run and delivery changes and routed record events as they happen (server-sent events)",
    description:
      'One event per change: `event: run` (a LiveRunEvent: queued, running, queued for a retry, finished), ' +
      '`event: delivery` (a LiveDeliveryEvent: an outbound delivery attempt) and `event: event` (a ' +
      'LiveRecordEvent: a record event was routed, with the runs it started). Nothing is replayed: what happened ' +
      'before the stream opened, or while it was away, is read from the runs and deliveries. A comment every 15 s ' +
      'keeps it open. `run` needs function-runs:read, `delivery` webhooks:read, `event` events:read.',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'topics',
    required: false,
    description: 'Comma-separated: run, delivery, event. By default every topic the caller may read.',
    schema: { type: 'string' },
  })
  @ApiResponse({
    status: 200,
    description: 'The stream. Each `data:` line is one JSON event of its `event:` type.',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        // The events' schemas (components LiveRunEvent, LiveDeliveryEvent and LiveRecordEvent), by event name.
        'x-sse-events': {
          run: componentRef(LiveRunEventSchema),
          delivery: componentRef(LiveDeliveryEventSchema),
          event: componentRef(LiveRecordEventSchema),
        },
      } as never,
    },
  })
  @ApiErrors('VALIDATION_ERROR', 'SERVICE_UNAVAILABLE')
  stream(
    @CurrentActor() actor: Actor,
    @Req() request: FastifyRequest & { user: Principal },
    @Res() reply: FastifyReply,
    @Query('topics') topics?: string,
  ): void {
    const wanted = this.topicsOf(topics, request.user);
    const stream = new EventStream(reply.raw, wanted);
    stream.onEnd = this.hub.listen(actor.workspace, stream); // 429 or 503 before anything is sent
    reply.hijack();
    stream.start(`listening to ${[...wanted].join(', ')} of ${actor.workspace}`);
    request.raw.on('close', () => stream.end());
  }

  /** The topics asked for (all by default), each held by the caller: else 400 or 403. */
  private topicsOf(asked: string | undefined, principal: Principal): ReadonlySet<LiveTopic> {
    const names = asked === undefined || asked === '' ? [...LiveTopics] : asked.split(',').map((t) => t.trim());
    const unknown = names.filter((name) => !(LiveTopics as readonly string[]).includes(name));
    if (unknown.length > 0) {
      const message = `topics must be among ${LiveTopics.join(', ')} (not ${unknown.join(', ')})`;
      throw new SignalboxError('VALIDATION_ERROR', message, [{ path: ['topics'], message }]);
    }
    const topics = names as LiveTopic[];
    const allowed = topics.filter((topic) => hasPermission(principal.permissions, TOPIC_PERMISSIONS[topic]));
    if (allowed.length === 0 || (asked && allowed.length < topics.length)) {
      const missing = topics.filter((topic) => !allowed.includes(topic)).map((topic) => TOPIC_PERMISSIONS[topic]);
      throw new SignalboxError(
        'FORBIDDEN',
        `missing permission ${missing.map((p) => `${p.resource}:${p.action}`).join(', ')}`,
      );
    }
    return new Set(allowed);
  }
}
