import { Injectable } from '@nestjs/common';
import {
  type ExecRequest,
  type RecordEventParams,
  type RecordWebhookEvent,
  RecordWebhookEvents,
  Subjects,
  TRIGGER_FIRED_EVENT,
  type TriggerConfig,
  type TriggerFiredEvent,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

/**
 * Turns routing decisions into durable messages. Every message carries a deterministic `Nats-Msg-Id`, so
 * publishing it again (a redelivered event, a restarted replay) is dropped by JetStream within the
 * de-duplication window, and the runtime's conditional claim stops a run from starting twice after it.
 */
@Injectable()
export class Dispatcher {
  constructor(private readonly nats: NatsClient) {}

  /** One run of `trigger` for this event (on EXECUTIONS), and its `trigger.fired` (on PLATFORM_EVENTS). */
  async run(trigger: TriggerConfig, runId: string, params: RecordEventParams, requestedBy: string): Promise<void> {
    const workspace = trigger.workspaceSlug;
    const request: ExecRequest = {
      runId,
      workspace,
      run: { triggerId: trigger.id, functionId: trigger.functionId, executionParams: params, requestedBy },
    };
    const fired: TriggerFiredEvent = {
      id: `fired.${runId}`,
      event: TRIGGER_FIRED_EVENT,
      workspace,
      timestamp: new Date().toISOString(),
      data: {
        triggerId: trigger.id,
        functionId: trigger.functionId,
        runId,
        executionType: trigger.executionType,
        source: {
          eventId: params.eventId,
          event: params.event,
          recordSlug: params.recordSlug,
          recordId: params.recordId,
          sequence: params.sequence,
          isReplay: params.isReplay,
        },
      },
    };
    await Promise.all([
      this.nats.publish(Subjects.execRequest(workspace, trigger.functionId), request, { msgID: runId }),
      this.nats.publish(Subjects.platformEvent(workspace, TRIGGER_FIRED_EVENT), fired, { msgID: fired.id }),
    ]);
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
