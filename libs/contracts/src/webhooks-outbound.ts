import { type Static, Type } from '@sinclair/typebox';

import { MAX_PAGE, Paged, Timestamp, Uuid } from './rest/common';

/**
 * Outbound webhooks (seed 001, api-contract.md "Outbound webhooks"): subscriptions are configuration, owned by
 * data-service; deliveries and their attempts are owned by webhook-gateway. Never rename a value.
 */
export const WebhookEventTypes = [
  'record.created',
  'record.updated',
  'record.deleted',
  'record.restored',
  'record.reverted',
  'function.completed',
  'function.failed',
  'trigger.fired',
  'function.cancelled',
] as const;
export type WebhookEventType = (typeof WebhookEventTypes)[number];
/** Sent only by `POST /webhooks/{id}/test`; cannot be subscribed to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** The seed's retry schedule: three retries after 1 s, 5 s and 15 s. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [1, 5, 15];
export const MAX_RETRIES = 10;
export const MAX_RETRY_DELAY_SECONDS = 86_400;
/** After a secret change, deliveries are signed with the old secret too, for this long. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3600 * 1000;

/** Every outbound event: the seed's payload plus an `id` (stable across retries and replays). */
export interface WebhookEvent {
  readonly id: string;
  readonly event: string;
  readonly workspace: string;
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

const EventTypeSchema = Type.Union(
  WebhookEventTypes.map((type) => Type.Literal(type)),
  { description: WebhookEventTypes.join(' | ') },
);
const Name = Type.String({ minLength: 1, maxLength: 128 });
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives POSTs' });
const Secret = Type.String({
  minLength: 16,
  maxLength: 256,
  description: 'signing secret; a whsec_ secret is generated when none is given',
});

export const WebhookFiltersSchema = Type.Object(
  {
    structure: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Array(Type.String({ minLength: 1 }))], {
        description: 'record events of this structure (or these) only',
      }),
    ),
    query: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'MongoDB-style condition over the record (data.record); safe operators only',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookFilters = Static<typeof WebhookFiltersSchema>;

const RetrySchedule = Type.Array(Type.Integer({ minimum: 1, maximum: MAX_RETRY_DELAY_SECONDS }), {
  maxItems: MAX_RETRIES,
  description: 'seconds to wait before each retry (default [1, 5, 15]); [] for no retry',
});

export const CreateWebhookSchema = Type.Object(
  {
    name: Name,
    url: Url,
    events: Type.Array(EventTypeSchema, { minItems: 1, uniqueItems: true }),
    filters: Type.Optional(WebhookFiltersSchema),
    secret: Type.Optional(Secret),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    retrySchedule: Type.Optional(RetrySchedule),
  },
  { additionalProperties: false },
);
export type CreateWebhook = Static<typeof CreateWebhookSchema>;

export const UpdateWebhookSchema = Type.Object(
  {
    name: Type.Optional(Name),
    url: Type.Optional(Url),
    events: Type.Optional(Type.Array(EventTypeSchema, { minItems: 1, uniqueItems: true })),
    filters: Type.Optional(WebhookFiltersSchema),
    secret: Type.Optional(Secret),
    enabled: Type.Optional(Type.Boolean()),
    retrySchedule: Type.Optional(RetrySchedule),
  },
  { additionalProperties: false },
);
export type UpdateWebhook = Static<typeof UpdateWebhookSchema>;

export const WebhookSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  filters: WebhookFiltersSchema,
  retrySchedule: Type.Array(Type.Integer()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  /** Only in the answer that set it (create, or a PATCH with a secret): shown once, sealed at rest. */
  secret: Type.Optional(Type.String()),
  secretHint: Type.String({ description: 'the first characters of the secret, to tell secrets apart' }),
  workspaceSlug: Type.String(),
  createdBy: Type.String(),
  updatedBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Type.Integer(),
});
export type Webhook = Static<typeof WebhookSchema>;
export const WebhookListSchema = Paged('webhooks', WebhookSchema);
export type WebhookList = Static<typeof WebhookListSchema>;

/** A subscription as the gateway sees it (KV bucket `webhooks`): the secrets stay sealed. */
export interface WebhookConfig {
  readonly id: string;
  readonly workspaceSlug: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly filters: WebhookFilters;
  readonly retrySchedule: readonly number[];
  readonly enabled: boolean;
  readonly secret: unknown;
  /** The secret before the last change, and until when it still signs. */
  readonly previousSecret: unknown;
  readonly previousSecretUntil: string | null;
  /** Events from before this time are not delivered to it (the gateway's consumer may be catching up). */
  readonly createdAt: string;
  readonly version: number;
  readonly updatedAt: string;
}

export const DeliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DeliveryStatuses)[number];

export const DeliveryAttemptSchema = Type.Object({
  attempt: Type.Integer(),
  at: Timestamp,
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  latencyMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  responseBody: Type.Union([Type.String(), Type.Null()], { description: 'truncated' }),
});
export type DeliveryAttempt = Static<typeof DeliveryAttemptSchema>;

export const DeliverySchema = Type.Object({
  id: Uuid,
  webhookId: Uuid,
  eventId: Type.String(),
  event: Type.String(),
  status: Type.Union(DeliveryStatuses.map((status) => Type.Literal(status))),
  attempts: Type.Array(DeliveryAttemptSchema),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  completedAt: Type.Union([Timestamp, Type.Null()]),
  /** Set on replays: the delivery this one repeats. */
  replayOf: Type.Union([Uuid, Type.Null()]),
  /**
   * The OpenTelemetry trace of the work that created the delivery (the run's, for a run's outcome), 32 hex digits;
   * null when tracing was off or the trace not sampled. Its attempts are spans of that trace.
   */
  traceId: Type.Union([Type.String({ pattern: '^[0-9a-f]{32}$' }), Type.Null()]),
  payload: Type.Unknown(),
});
export type Delivery = Static<typeof DeliverySchema>;
export const DeliveryListSchema = Paged('deliveries', DeliverySchema);
export type DeliveryList = Static<typeof DeliveryListSchema>;

export const DeliveryListQuerySchema = Type.Object(
  {
    status: Type.Optional(Type.Union(DeliveryStatuses.map((status) => Type.Literal(status)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 })),
  },
  { additionalProperties: false },
);
export type DeliveryListQuery = Static<typeof DeliveryListQuerySchema>;

export const WebhookTestResultSchema = Type.Object({
  delivered: Type.Boolean(),
  deliveryId: Uuid,
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  latencyMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  responseBody: Type.Union([Type.String(), Type.Null()]),
});
export type WebhookTestResult = Static<typeof WebhookTestResultSchema>;

export const WebhookReplayRequestSchema = Type.Object(
  {
    since: Timestamp,
    until: Type.Optional(Timestamp),
    status: Type.Optional(Type.Union(DeliveryStatuses.map((status) => Type.Literal(status)))),
  },
  { additionalProperties: false },
);
export type WebhookReplayRequest = Static<typeof WebhookReplayRequestSchema>;
export const WebhookReplayResultSchema = Type.Object({ replayed: Type.Integer(), deliveryIds: Type.Array(Uuid) });
export type WebhookReplayResult = Static<typeof WebhookReplayResultSchema>;

/** Request-reply bodies to webhook-gateway (`Subjects.gateway*`), always scoped by workspace. */
export interface DeliveryListRequest extends DeliveryListQuery {
  readonly workspace: string;
  readonly webhookId: string;
}
export interface WebhookTestRequest {
  readonly workspace: string;
  readonly webhookId: string;
  /** data-service's copy, so the test works before the gateway's index has seen a new subscription. */
  readonly config: WebhookConfig;
}
export interface DeliveryReplayRequest {
  readonly workspace: string;
  readonly webhookId: string;
  readonly deliveryId: string;
}
export interface BulkReplayRequest extends WebhookReplayRequest {
  readonly workspace: string;
  readonly webhookId: string;
}

/** The message on DELIVERIES (`deliveries.<workspace>.<webhookId>`), Nats-Msg-Id = deliveryId. */
export interface DeliveryJob {
  readonly deliveryId: string;
  readonly workspace: string;
  readonly webhookId: string;
  /** When the delivery was created: the day (partition) its row is in. Absent in jobs queued before deliveries were partitioned by day. */
  readonly createdAt?: string;
}

/** `data.v1.webhooks.disable` (answered by data-service): the gateway's auto-disable. */
export interface DisableWebhookRequest {
  readonly workspace: string;
  readonly webhookId: string;
  readonly reason: string;
}
