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
  /** How long rows are kept, or how many (`30 days`, `latest 100 per function`, `until deleted`). */
  kept: Type.String(),
});
export type TableUsage = Static<typeof TableUsageSchema>;

/** Reply of `Subjects.systemUsage(service)`: the service's tables, the workspace's share of each. */
export interface ServiceUsage {
  readonly tables: TableUsage[];
}

/** Answer of `GET /workspace/{slug}/api/v1/system/usage`. */
export const SystemUsageResponseSchema = Type.Object({
  workspace: Type.String(),
  measuredAt: Type.String({ format: 'date-time' }),
  tables: Type.Array(TableUsageSchema),
  /** Services that did not answer in time: their tables are missing from `tables`. */
  unreachable: Type.Array(UnreachableServiceSchema),
});
export type SystemUsageResponse = Static<typeof SystemUsageResponseSchema>;
