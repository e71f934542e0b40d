import { type Static, Type } from '@sinclair/typebox';

import { ServiceNames } from './services';
import { UnreachableServiceSchema } from './system-status';

/** Request body of `Subjects.systemUsage(service)`. */
export interface SystemUsageRequest {
  readonly workspace: string;
}

/** One table's share that belongs to a workspace. */
export const TableUsageSchema = Type.Object({
  /** The service that owns the table. */
  service: Type.Union(ServiceNames.map((name) => Type.Literal(name))),
  /** `<schema>.<table>`. */
  table: Type.String(),
  /** The workspace's rows (counted). */
  rows: Type.Integer({ minimum: 0 }),
  /**
   * The workspace's bytes, estimated: its rows times the table's average row size, indexes and TOAST included
   * (Postgres does not size rows by workspace without reading them all).
   */
  bytes: Type.Integer({ minimum: 0 }),
  /** How long the platform keeps rows, or how many (`30 days`, `latest 100 per function`, `until deleted`). */
  kept: Type.String(),
});
export type TableUsage = Static<typeof TableUsageSchema>;

/** Reply of `Subjects.systemUsage(service)`: the service's tables, the workspace's share of each. */
export interface ServiceUsage {
  readonly tables: TableUsage[];
}

const RetentionDays = Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()]);

/**
 * A workspace's own retention, shorter than the platform's (`RUN_RETENTION_DAYS`, `DELIVERY_RETENTION_DAYS`):
 * `null` keeps the platform's. A longer one changes nothing, since the platform drops whole days first.
 */
export const WorkspaceRetentionSchema = Type.Object(
  {
    /** Days a run of this workspace is kept. */
    runsDays: RetentionDays,
    /** Days a delivery of this workspace, and its attempts, are kept. */
    deliveriesDays: RetentionDays,
  },
  { additionalProperties: false },
);
export type WorkspaceRetention = Static<typeof WorkspaceRetentionSchema>;

/** Body of `PUT /system/retention`: the settings to change (an absent one stays as it is). */
export const UpdateWorkspaceRetentionSchema = Type.Partial(WorkspaceRetentionSchema, { additionalProperties: false });
export type UpdateWorkspaceRetention = Static<typeof UpdateWorkspaceRetentionSchema>;

/** Reply of `Subjects.dataWorkspaceRetention`: every workspace that has a retention of its own. */
export interface WorkspaceRetentionList {
  readonly workspaces: ReadonlyArray<{ readonly workspace: string } & WorkspaceRetention>;
}

/** Answer of `GET /workspace/{slug}/api/v1/system/usage`. */
export const SystemUsageResponseSchema = Type.Object({
  workspace: Type.String(),
  measuredAt: Type.String({ format: 'date-time' }),
  tables: Type.Array(TableUsageSchema),
  /** The workspace's own retention (`kept` in `tables` is the platform's). */
  retention: WorkspaceRetentionSchema,
  /** Services that did not answer in time: their tables are missing from `tables`. */
  unreachable: Type.Array(UnreachableServiceSchema),
});
export type SystemUsageResponse = Static<typeof SystemUsageResponseSchema>;
