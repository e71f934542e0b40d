import { type Static, Type } from '@sinclair/typebox';

import { RECORD_SLUG_PATTERN, type RecordEventName, RecordEventNames } from './rest/function-triggers';

/**
 * The public record-event contract (api-contract.md "Record events on NATS"): the JSON body a user's
 * service publishes on `records.<workspace>.<recordSlug>.<event>`, with `Nats-Msg-Id: <eventId>`.
 * This TypeBox object is the JSON Schema; docs/record-event.schema.json is a copy kept equal by a test.
 */
export const RecordEventSchema = Type.Object(
  {
    eventId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z0-9._:-]+$',
        description: 'Unique per event (a UUID is best); also sent as Nats-Msg-Id. Runs are derived from it.',
      }),
    ),
    event: Type.Union(
      RecordEventNames.map((name) => Type.Literal(name)),
      { description: RecordEventNames.join(' | ') },
    ),
    workspaceSlug: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    recordSlug: Type.String({ pattern: RECORD_SLUG_PATTERN }),
    recordId: Type.String({ minLength: 1, maxLength: 256 }),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The record (for *_failed events: what was attempted)',
    }),
    timestamp: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened, ISO 8601' })),
  },
  {
    $id: 'https://signalbox.dev/schemas/record-event.json',
    title: 'Signalbox record event',
    additionalProperties: true,
  },
);
export type RecordEvent = Static<typeof RecordEventSchema>;

/**
 * What a function fired by a record event receives as `executionParams`: the event as published (with
 * `eventId` and `timestamp` always set), the stream `sequence` (increasing in stream order, so a
 * function can ignore a stale event), and `isReplay` when the run comes from a replay.
 */
export interface RecordEventParams extends RecordEvent {
  readonly eventId: string;
  readonly timestamp: string;
  readonly sequence: number;
  readonly isReplay: boolean;
  readonly replayId?: string;
}

/** The outbound webhook event that each record event yields (the `*_failed` events yield none). */
export const RecordWebhookEvents: Readonly<Record<RecordEventName, string | null>> = {
  record_created: 'record.created',
  record_updated: 'record.updated',
  record_deleted: 'record.deleted',
  record_restored: 'record.restored',
  record_reverted: 'record.reverted',
  record_create_failed: null,
  record_updated_failed: null,
  record_deleted_failed: null,
};

/** `record.*` on PLATFORM_EVENTS (the outbound webhook payload of seed 001 plus an `id`). */
export interface RecordWebhookEvent {
  readonly id: string;
  readonly event: string;
  readonly workspace: string;
  readonly timestamp: string;
  readonly data: { readonly structure: string; readonly recordId: string; readonly record: Record<string, unknown> };
}

export const TRIGGER_FIRED_EVENT = 'trigger.fired';

/** `trigger.fired` on PLATFORM_EVENTS: one per run a trigger started. `id` = `fired.<runId>`. */
export interface TriggerFiredEvent {
  readonly id: string;
  readonly event: typeof TRIGGER_FIRED_EVENT;
  readonly workspace: string;
  readonly timestamp: string;
  readonly data: {
    readonly triggerId: string;
    readonly functionId: string;
    readonly runId: string;
    readonly executionType: string;
    /** What fired it: for event-driven triggers, the record event. */
    readonly source: Record<string, unknown>;
  };
}

/** A message the router could not use, on `deadletter.records` (stream DEAD_LETTERS). */
export interface DeadLetter {
  readonly reason: string;
  readonly subject: string;
  readonly sequence: number;
  readonly receivedAt: string;
  /** The original body, as text when it was UTF-8, else base64. */
  readonly body: string;
  readonly bodyEncoding: 'utf8' | 'base64';
  readonly headers: Record<string, string>;
}

/** `POST /workspace/{slug}/api/v1/events`: what an HTTP producer sends. The workspace comes from the URL. */
export const PublishRecordEventSchema = Type.Object(
  {
    eventId: RecordEventSchema.properties.eventId,
    event: RecordEventSchema.properties.event,
    recordSlug: RecordEventSchema.properties.recordSlug,
    recordId: RecordEventSchema.properties.recordId,
    data: RecordEventSchema.properties.data,
    timestamp: RecordEventSchema.properties.timestamp,
  },
  { additionalProperties: false },
);
export type PublishRecordEvent = Static<typeof PublishRecordEventSchema>;

export const PublishRecordEventResponseSchema = Type.Object({
  eventId: Type.String(),
  subject: Type.String(),
  sequence: Type.Integer(),
  duplicate: Type.Boolean(),
});
export type PublishRecordEventResponse = Static<typeof PublishRecordEventResponseSchema>;

/** `POST .../function-triggers/{id}/replay`. */
export const ReplayRequestSchema = Type.Object(
  {
    since: Type.String({ format: 'date-time' }),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now' })),
  },
  { additionalProperties: false },
);
export type ReplayRequest = Static<typeof ReplayRequestSchema>;

export const ReplayStatuses = ['accepted', 'running', 'completed', 'failed'] as const;
export type ReplayStatus = (typeof ReplayStatuses)[number];

/** A replay job's state, kept in the KV bucket `replays` (key `<workspace>.<replayId>`) by the router. */
export const ReplaySchema = Type.Object({
  replayId: Type.String({ format: 'uuid' }),
  triggerId: Type.String({ format: 'uuid' }),
  workspaceSlug: Type.String(),
  since: Type.String({ format: 'date-time' }),
  until: Type.String({ format: 'date-time' }),
  status: Type.Union(ReplayStatuses.map((status) => Type.Literal(status))),
  /** Events of the window read from the stream, and how many of them started a run. */
  scanned: Type.Integer(),
  matched: Type.Integer(),
  requestedBy: Type.String(),
  requestedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type Replay = Static<typeof ReplaySchema>;

/** The durable replay job on REPLAYS (`replays.<workspace>`), Nats-Msg-Id = replayId. */
export interface ReplayJob {
  readonly replayId: string;
  readonly workspace: string;
  readonly triggerId: string;
  readonly since: string;
  readonly until: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
}
