import { type Static, Type } from '@sinclair/typebox';

import { ListQuerySchema, Paged, Timestamp, Uuid } from './common';
import { discriminated, type ExecutionType, ExecutionTypes, TriggerMetadataSchemas } from './trigger-metadata';

export * from './trigger-metadata';

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '\\S' });
const Description = Type.String({ maxLength: 2000 });
const ExecutionTypeSchema = Type.Union(
  ExecutionTypes.map((type) => Type.Literal(type)),
  { description: ExecutionTypes.join(' | ') },
);
/** Shape only, as requests are parsed; the rules per execution type are the trigger validator's. */
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

/*
 * The same bodies and answers typed per execution type, for the OpenAPI document: a client generated from it
 * gives each trigger type its own `triggerMetadata` fields. Requests are parsed with the loose schemas above
 * and checked by the trigger validator, whose messages say more than a schema mismatch would.
 */
const TRIGGER_TYPE_NAMES: Readonly<Record<ExecutionType, string>> = {
  'on-demand': 'OnDemand',
  'event-driven': 'EventDriven',
  scheduled: 'Scheduled',
  webhook: 'Webhook',
  endpoint: 'Endpoint',
  polling: 'Polling',
};
const perType = <T>(make: (type: ExecutionType, name: string) => T) =>
  Object.fromEntries(ExecutionTypes.map((type) => [type, make(type, TRIGGER_TYPE_NAMES[type])])) as Record<
    ExecutionType,
    T
  >;

export const TypedFunctionTriggerSchema = discriminated(
  perType((type, name) =>
    Type.Object(
      {
        ...FunctionTriggerSchema.properties,
        executionType: Type.Literal(type),
        triggerMetadata: TriggerMetadataSchemas[type],
      },
      { $id: `${name}FunctionTrigger` },
    ),
  ),
);

export const TypedFunctionTriggerListSchema = Paged('triggers', TypedFunctionTriggerSchema);

const { name, description, functionId, enabled } = CreateFunctionTriggerSchema.properties;
const createCommon = { name, description, functionId, enabled };
export const TypedCreateFunctionTriggerSchema = Type.Unsafe<CreateFunctionTrigger>({
  oneOf: [
    ...ExecutionTypes.map((type) =>
      Type.Object(
        {
          ...createCommon,
          executionType: Type.Literal(type),
          // Every type but on-demand has fields it cannot do without.
          triggerMetadata:
            type === 'on-demand' ? Type.Optional(TriggerMetadataSchemas[type]) : TriggerMetadataSchemas[type],
        },
        { $id: `Create${TRIGGER_TYPE_NAMES[type]}FunctionTrigger`, additionalProperties: false },
      ),
    ),
    Type.Object(
      {
        ...createCommon,
        providerId: Type.String({ minLength: 1, maxLength: 64, description: 'GET /providers' }),
        providerTriggerId: Type.String({ minLength: 1, maxLength: 128 }),
        executionType: Type.Optional(Type.Literal('webhook')),
        triggerMetadata: Type.Optional(Type.Partial(TriggerMetadataSchemas.webhook, { additionalProperties: false })),
      },
      {
        $id: 'CreateFunctionTriggerFromTemplate',
        additionalProperties: false,
        description: "A webhook trigger from a provider's template; `triggerMetadata` is merged over the template's.",
      },
    ),
  ],
});

/** A partial update's `triggerMetadata`: any fields of the trigger's type, merged over the stored ones. */
const metadataPatch = (type: ExecutionType) =>
  Type.Partial(TriggerMetadataSchemas[type], {
    $id: `${TRIGGER_TYPE_NAMES[type]}TriggerMetadataPatch`,
    additionalProperties: false,
    description: `Fields of a ${type} trigger to change; each replaces the stored one, the others stay.`,
  });

export const TypedUpdateFunctionTriggerSchema = Type.Object(
  {
    ...UpdateFunctionTriggerSchema.properties,
    triggerMetadata: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({
        anyOf: ExecutionTypes.map(metadataPatch),
        description:
          "Fields of the trigger's executionType (which cannot change), merged one level deep over the stored ones; the result is checked whole.",
      }),
    ),
  },
  { additionalProperties: false },
);
