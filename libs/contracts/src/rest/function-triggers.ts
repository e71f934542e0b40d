import { type Static, Type } from '@sinclair/typebox';

import { ListQuerySchema, Paged, Timestamp, Uuid } from './common';

/** The six execution types (api-contract.md). Never rename a value. */
export const ExecutionTypes = ['on-demand', 'event-driven', 'scheduled', 'webhook', 'endpoint', 'polling'] as const;
export type ExecutionType = (typeof ExecutionTypes)[number];

/** The eight record events of seed 000, in the seed's order (its error message lists them so). */
export const RecordEventNames = [
  'record_created',
  'record_updated',
  'record_deleted',
  'record_restored',
  'record_reverted',
  'record_create_failed',
  'record_updated_failed',
  'record_deleted_failed',
] as const;
export type RecordEventName = (typeof RecordEventNames)[number];

export const WebhookProviders = ['stripe', 'github', 'slack', 'shopify', 'standard-webhooks', 'hmac-sha256'] as const;
export const EndpointMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const CatchUpPolicies = ['none', 'one', 'all'] as const;
/** `triggerMetadata.retry.backoff`: the wait before attempt n+1 is `delayMs` (fixed) or `delayMs * 2^(n-1)`. */
export const RetryBackoffs = ['exponential', 'fixed'] as const;
export const MAX_RETRY_ATTEMPTS = 10;
export const MAX_RETRY_DELAY_MS = 3_600_000;
export const OverlapPolicies = ['allow', 'skip', 'buffer-one'] as const;
/** A cron fire whose local time does not exist (clocks spring forward): `shift` to the next valid minute, or `skip`. */
export const DstGapPolicies = ['shift', 'skip'] as const;

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '\\S' });
const Description = Type.String({ maxLength: 2000 });
const ExecutionTypeSchema = Type.Union(
  ExecutionTypes.map((type) => Type.Literal(type)),
  { description: ExecutionTypes.join(' | ') },
);
/** Shape only; the rules per execution type are checked by the trigger validator. */
const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'params and the fields of the executionType (see docs/api.md)',
});

export const CreateFunctionTriggerSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    functionId: Uuid,
    /** Required, unless the trigger is made from a provider template (`providerId` + `providerTriggerId`). */
    executionType: Type.Optional(ExecutionTypeSchema),
    triggerMetadata: Type.Optional(Metadata),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    providerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'GET /providers' })),
    providerTriggerId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type CreateFunctionTrigger = Static<typeof CreateFunctionTriggerSchema>;

export const UpdateFunctionTriggerSchema = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    triggerMetadata: Type.Optional(Metadata),
    /** Accepted only when equal to the current type: the type cannot change. */
    executionType: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type UpdateFunctionTrigger = Static<typeof UpdateFunctionTriggerSchema>;

/** Drafts are loosely validated: shapes only, nothing required. */
export const FunctionTriggerDraftInputSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Description),
    functionId: Type.Optional(Type.String({ maxLength: 64 })),
    executionType: Type.Optional(ExecutionTypeSchema),
    triggerMetadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type FunctionTriggerDraftInput = Static<typeof FunctionTriggerDraftInputSchema>;

export const FunctionTriggerSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  functionId: Uuid,
  executionType: ExecutionTypeSchema,
  triggerMetadata: Metadata,
  workspaceSlug: Type.String(),
  createdBy: Type.String(),
  updatedBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  enabled: Type.Boolean(),
  version: Type.Integer(),
  isSystem: Type.Boolean(),
});
export type FunctionTrigger = Static<typeof FunctionTriggerSchema>;

export const FunctionTriggerListSchema = Paged('triggers', FunctionTriggerSchema);
export type FunctionTriggerList = Static<typeof FunctionTriggerListSchema>;

export const FunctionTriggerDraftSchema = Type.Object({
  id: Uuid,
  name: Type.Union([Type.String(), Type.Null()]),
  description: Type.String(),
  functionId: Type.Union([Type.String(), Type.Null()]),
  executionType: Type.Union([ExecutionTypeSchema, Type.Null()]),
  triggerMetadata: Metadata,
  workspaceSlug: Type.String(),
  createdBy: Type.String(),
  updatedBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type FunctionTriggerDraft = Static<typeof FunctionTriggerDraftSchema>;
export const FunctionTriggerDraftListSchema = Paged('drafts', FunctionTriggerDraftSchema);
export type FunctionTriggerDraftList = Static<typeof FunctionTriggerDraftListSchema>;

export const FunctionTriggerSearchFields = ['name', 'description', 'executionType', 'functionId'] as const;
export const FunctionTriggerSortFields = ['name', 'executionType', 'createdAt', 'updatedAt'] as const;

/** The list query of triggers: the common one plus filters by function and type. */
export const FunctionTriggerListQuerySchema = Type.Object(
  {
    ...ListQuerySchema.properties,
    functionId: Type.Optional(Type.String({ format: 'uuid' })),
    executionType: Type.Optional(ExecutionTypeSchema),
  },
  { additionalProperties: false },
);
export type FunctionTriggerListQuery = Static<typeof FunctionTriggerListQuerySchema>;
