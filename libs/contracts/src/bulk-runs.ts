import { type Static, Type } from '@sinclair/typebox';

import { Timestamp, Uuid } from './rest/common';
import { RunFilterProperties } from './runs';

/** What a bulk job does to each run its filter matches (docs/run-control.md). Never rename a value. */
export const BulkRunActions = ['cancel', 'retry'] as const;
export type BulkRunAction = (typeof BulkRunActions)[number];

export const BulkRunJobStatuses = ['running', 'completed', 'cancelled'] as const;
export type BulkRunJobStatus = (typeof BulkRunJobStatuses)[number];

/** Runs matched by a bulk job: the run list's filters (at least one). */
export const BulkRunFilterSchema = Type.Object(RunFilterProperties, { additionalProperties: false, minProperties: 1 });
export type BulkRunFilter = Static<typeof BulkRunFilterSchema>;

export const CreateBulkRunJobSchema = Type.Object(
  {
    action: Type.Union(
      BulkRunActions.map((action) => Type.Literal(action)),
      {
        description:
          'cancel: queued, sleeping and running runs; retry: failed, timed-out and cancelled runs. Other matches are skipped.',
      },
    ),
    filter: BulkRunFilterSchema,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'for people; default: the action' })),
  },
  { additionalProperties: false },
);
export type CreateBulkRunJob = Static<typeof CreateBulkRunJobSchema>;

export const BulkRunJobSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  action: Type.Union(BulkRunActions.map((action) => Type.Literal(action))),
  filter: BulkRunFilterSchema,
  status: Type.Union(BulkRunJobStatuses.map((status) => Type.Literal(status))),
  /** Runs the filter matched when the job was created. */
  total: Type.Integer(),
  /** Runs looked at so far (acted on or skipped). */
  processed: Type.Integer(),
  /** Runs cancelled or queued again so far. */
  acted: Type.Integer(),
  requestedBy: Type.String(),
  createdAt: Timestamp,
  finishedAt: Type.Union([Timestamp, Type.Null()]),
});
export type BulkRunJob = Static<typeof BulkRunJobSchema>;

/** `runtime.v1.bulk.create` request: data-service has resolved an execution type into trigger ids. */
export interface CreateBulkRunJobRequest {
  readonly workspace: string;
  readonly id: string;
  readonly name: string;
  readonly action: BulkRunAction;
  readonly filter: BulkRunFilter;
  /** Runs of these triggers only (an execution type, resolved); absent: any trigger. */
  readonly triggerIds?: readonly string[];
  readonly requestedBy: string;
}

/** `runtime.v1.bulk.get` and `.cancel` request. */
export interface BulkRunJobRequest {
  readonly workspace: string;
  readonly id: string;
}
