import { type Static, Type } from '@sinclair/typebox';

import { Timestamp, Uuid } from './rest/common';
import { RunStatuses } from './runs';
import { DeliveryStatuses } from './webhooks-outbound';

/**
 * The live view of a workspace (`GET /live`, server-sent events): a run or a delivery changed. Announced on core
 * NATS (`Subjects.live`), not stored: a client that was not connected reads the records, which stay the truth.
 */
export const LiveRunEventSchema = Type.Object(
  {
    type: Type.Literal('run'),
    jobId: Uuid,
    status: Type.Union(RunStatuses.map((status) => Type.Literal(status))),
    triggerId: Uuid,
    functionId: Uuid,
    attempt: Type.Integer({ minimum: 1 }),
    /** When a retry is due (`queued` after a failed attempt). */
    nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
    at: Timestamp,
  },
  {
    $id: 'LiveRunEvent',
    additionalProperties: false,
    description: 'A run was queued, started, queued for a retry or finished.',
  },
);
export type LiveRunEvent = Static<typeof LiveRunEventSchema>;

export const LiveDeliveryEventSchema = Type.Object(
  {
    type: Type.Literal('delivery'),
    deliveryId: Uuid,
    webhookId: Uuid,
    event: Type.String(),
    status: Type.Union(DeliveryStatuses.map((status) => Type.Literal(status))),
    /** The attempt just made. */
    attempt: Type.Integer({ minimum: 1 }),
    /** The receiver's answer, or null when none came (timeout, refused connection). */
    statusCode: Type.Union([Type.Integer(), Type.Null()]),
    nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
    at: Timestamp,
  },
  { $id: 'LiveDeliveryEvent', additionalProperties: false, description: 'An outbound delivery attempt was made.' },
);
export type LiveDeliveryEvent = Static<typeof LiveDeliveryEventSchema>;

export type LiveEvent = LiveRunEvent | LiveDeliveryEvent;
export type LiveTopic = LiveEvent['type'];
export const LiveTopics: readonly LiveTopic[] = ['run', 'delivery'];

/** The live event of a run that has just taken `status`. */
export const liveRun = (
  run: { readonly jobId: string; readonly triggerId: string; readonly functionId: string; readonly attempt: number },
  status: LiveRunEvent['status'],
  nextAttemptAt: string | null = null,
): LiveRunEvent => ({
  type: 'run',
  jobId: run.jobId,
  status,
  triggerId: run.triggerId,
  functionId: run.functionId,
  attempt: run.attempt,
  nextAttemptAt,
  at: new Date().toISOString(),
});
