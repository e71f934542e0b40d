import { type Static, Type } from '@sinclair/typebox';

import { Timestamp, Uuid } from './rest/common';
import { RECORD_SLUG_PATTERN, RecordEventNames } from './rest/trigger-metadata';
import { RunStatuses } from './runs';
import { DeliveryStatuses } from './webhooks-outbound';

/**
 * The live view of a workspace (`GET /live`, server-sent events): a run or a delivery changed, or a record event
 * was routed. Announced on core NATS (`Subjects.live`), not stored: a client that was not connected reads the
 * records, which stay the truth.
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

/** The runs one record-event announcement lists at most (`runCount` says how many it started in all). */
export const LIVE_EVENT_MAX_RUNS = 100;

export const LiveRecordEventSchema = Type.Object(
  {
    type: Type.Literal('event'),
    /** The event's id: its `eventId`, else the publisher's `Nats-Msg-Id`, else its place in the stream. */
    eventId: Type.String({ minLength: 1, maxLength: 1024 }),
    event: Type.Union(RecordEventNames.map((name) => Type.Literal(name))),
    recordSlug: Type.String({ pattern: RECORD_SLUG_PATTERN }),
    recordId: Type.String({ minLength: 1, maxLength: 256 }),
    /** The runs it started, one per matching trigger (the first `LIVE_EVENT_MAX_RUNS`); empty when none matched. */
    runs: Type.Array(Type.Object({ jobId: Uuid, triggerId: Uuid }, { additionalProperties: false }), {
      maxItems: LIVE_EVENT_MAX_RUNS,
    }),
    /** How many runs it started in all (more than `runs` holds when it started more than the cap). */
    runCount: Type.Integer({ minimum: 0 }),
    /** When the router had queued its runs. */
    at: Timestamp,
  },
  {
    $id: 'LiveRecordEvent',
    additionalProperties: false,
    description: 'A record event was routed: the runs it started (none when no trigger matched).',
  },
);
export type LiveRecordEvent = Static<typeof LiveRecordEventSchema>;

export type LiveEvent = LiveRunEvent | LiveDeliveryEvent | LiveRecordEvent;
export type LiveTopic = LiveEvent['type'];
export const LiveTopics: readonly LiveTopic[] = ['run', 'delivery', 'event'];

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
