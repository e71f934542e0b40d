import { randomUUID } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import {
  type PublishRecordEvent,
  type PublishRecordEventResponse,
  type RecordEvent,
  SignalboxError,
  Subjects,
} from '@signalbox/contracts';
import { NatsClient, RunQuota } from '@signalbox/messaging';

import type { Actor } from '../common/actor';

/**
 * `POST /events`: the HTTP way to publish a record event. It publishes exactly the message a NATS
 * publisher would (same subject, same body, `Nats-Msg-Id` = eventId), and answers once JetStream has
 * stored it, so a 202 means the event is durable.
 */
@Injectable()
export class RecordEventService {
  private readonly logger = new Logger(RecordEventService.name);

  constructor(
    private readonly nats: NatsClient,
    private readonly runQuota: RunQuota,
  ) {}

  async publish(actor: Actor, input: PublishRecordEvent): Promise<PublishRecordEventResponse> {
    await this.runQuota.assertRoom(actor.workspace);
    const event: RecordEvent = {
      eventId: input.eventId ?? randomUUID(),
      event: input.event,
      workspaceSlug: actor.workspace,
      recordSlug: input.recordSlug,
      recordId: input.recordId,
      data: input.data,
      timestamp: input.timestamp ?? new Date().toISOString(),
    };
    const subject = Subjects.recordEvent(actor.workspace, event.recordSlug, event.event);
    try {
      const ack = await this.nats.publish(subject, event, { msgID: event.eventId });
      return { eventId: event.eventId!, subject, sequence: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      this.logger.warn(`publishing a record event failed: ${String(error)}`);
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the event stream is unavailable; retry with the same eventId');
    }
  }
}
