import { Injectable } from '@nestjs/common';
import {
  LIVE_EVENT_MAX_RUNS,
  type LiveRecordEvent,
  type RecordEventParams,
  type RecordWebhookEvent,
  RecordWebhookEvents,
  Subjects,
  type TriggerConfig,
} from '@signalbox/contracts';
import { NatsClient, publishTriggeredRun } from '@signalbox/messaging';

/**
 * Turns routing decisions into durable messages. Every message carries a deterministic `Nats-Msg-Id`, so
 * publishing it again (a redelivered event, a restarted replay) is dropped by JetStream within the
 * de-duplication window, and the runtime's conditional claim stops a run from starting twice after it.
 */
@Injectable()
export class Dispatcher {
  constructor(private readonly nats: NatsClient) {}

  /** One run of `trigger` for this event (on EXECUTIONS), and its `trigger.fired` (on PLATFORM_EVENTS). */
  run(trigger: TriggerConfig, runId: string, params: RecordEventParams, requestedBy: string): Promise<void> {
    return publishTriggeredRun(this.nats, {
      trigger,
      runId,
      executionParams: params,
      requestedBy,
      timestamp: new Date().toISOString(),
      source: {
        eventId: params.eventId,
        event: params.event,
        recordSlug: params.recordSlug,
        recordId: params.recordId,
        sequence: params.sequence,
        isReplay: params.isReplay,
      },
    });
  }

  /**
   * Tells the workspace's live streams that the event was routed, with the runs it started (the first
   * `LIVE_EVENT_MAX_RUNS` of them). Core NATS, fire and forget: it neither waits nor throws.
   */
  announce(params: RecordEventParams, runs: ReadonlyArray<LiveRecordEvent['runs'][number]>): void {
    this.nats.publishLive(params.workspaceSlug, {
      type: 'event',
      eventId: params.eventId,
      event: params.event,
      recordSlug: params.recordSlug,
      recordId: params.recordId,
      runs: runs.slice(0, LIVE_EVENT_MAX_RUNS),
      runCount: runs.length,
      at: new Date().toISOString(),
    });
  }

  /** The `record.*` outbound webhook event of a record event (the `*_failed` events have none). */
  async recordWebhookEvent(params: RecordEventParams): Promise<void> {
    const name = RecordWebhookEvents[params.event];
    if (!name) return;
    const event: RecordWebhookEvent = {
      id: `record.${params.workspaceSlug}.${params.eventId}`,
      event: name,
      workspace: params.workspaceSlug,
      timestamp: params.timestamp,
      data: { structure: params.recordSlug, recordId: params.recordId, record: params.data },
    };
    await this.nats.publish(Subjects.platformEvent(params.workspaceSlug, name), event, { msgID: event.id });
  }
}
