import {
  type ExecRequest,
  Subjects,
  TRIGGER_FIRED_EVENT,
  type TriggerConfig,
  type TriggerFiredEvent,
} from '@signalbox/contracts';

import type { NatsClient } from './nats.client';

export interface TriggeredRun {
  readonly trigger: Pick<TriggerConfig, 'id' | 'functionId' | 'workspaceSlug' | 'executionType'>;
  /** Deterministic where the source allows: it is the `Nats-Msg-Id`, so a second publish of it is dropped. */
  readonly runId: string;
  readonly executionParams: unknown;
  readonly requestedBy: string;
  /** What fired it, for `trigger.fired` (the record event, the due time, the request). */
  readonly source: Record<string, unknown>;
  readonly timestamp: string;
  /** Someone waits for the outcome (an endpoint call): the runtime announces it on `Subjects.runFinished`. */
  readonly notifyFinished?: boolean;
}

/**
 * Publishes a run that a trigger started, the way every source does (record events, schedules, inbound
 * webhooks): the run on EXECUTIONS (the runtime records it when it takes it) and its `trigger.fired` on
 * PLATFORM_EVENTS, both under ids derived from the run id. Resolves once JetStream has stored both.
 */
export async function publishTriggeredRun(nats: NatsClient, run: TriggeredRun): Promise<void> {
  const { trigger, runId } = run;
  const workspace = trigger.workspaceSlug;
  const request: ExecRequest = {
    runId,
    workspace,
    run: {
      triggerId: trigger.id,
      functionId: trigger.functionId,
      executionParams: run.executionParams,
      requestedBy: run.requestedBy,
      ...(run.notifyFinished ? { notifyFinished: true } : {}),
    },
  };
  const fired: TriggerFiredEvent = {
    id: `fired.${runId}`,
    event: TRIGGER_FIRED_EVENT,
    workspace,
    timestamp: run.timestamp,
    data: {
      triggerId: trigger.id,
      functionId: trigger.functionId,
      runId,
      executionType: trigger.executionType,
      source: run.source,
    },
  };
  await Promise.all([
    nats.publish(Subjects.execRequest(workspace, trigger.functionId), request, { msgID: runId }),
    nats.publish(Subjects.platformEvent(workspace, TRIGGER_FIRED_EVENT), fired, { msgID: fired.id }),
  ]);
}
