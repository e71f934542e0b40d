import type { DataSource } from 'typeorm';

/** A table whose rows belong to workspaces, as `GET /system/usage` reports it. */
export interface UsageTable {
  /** `<schema>.<table>` (a partitioned table counts all its partitions). */
  readonly table: string;
  /** How long rows are kept, or how many, in words (`30 days`, `latest 100 per function`). */
  readonly kept: string;
  /**
   * SQL counting the workspace's rows (`$1` = the workspace), when the table has no `workspace_slug` column
   * (a delivery's attempts are counted on their deliveries).
   */
  readonly countSql?: string;
}

/**
 * The workspace's rows in each table, and their bytes estimated from the table's average row size (its whole
 * size, indexes and TOAST included, over Postgres's estimate of its rows): sizing one workspace's rows exactly
 * would read them all. A table with an index on `workspace_slug` counts through it; the small ones without
 * (schedules, test samples, versions) are read whole. Each count stops after 25 s (`statement_timeout`), before
 * the route that asked gives up.
 */
export function measureUsage(
  source: Pick<DataSource, 'transaction'>,
  workspace: string,
  tables: readonly UsageTable[],
): Promise<Array<{ table: string; rows: number; bytes: number; kept: string }>> {
  return source.transaction(async (manager) => {
    await manager.query("SET LOCAL statement_timeout = '25s'");
    const measured = [];
    for (const { table, kept, countSql } of tables) {
      const [{ rows }] = await manager.query<Array<{ rows: string }>>(
        countSql ?? `SELECT count(*)::bigint AS rows FROM ${table} WHERE workspace_slug = $1`,
        [workspace],
      );
      // The leaves of a partitioned table, or the table itself (not partitioned, it is its own tree).
      const [size] = await manager.query<Array<{ bytes: number; tuples: number }>>(
        `SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::float8 AS bytes,
                coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS tuples
           FROM (SELECT relid FROM pg_partition_tree($1::regclass) WHERE isleaf UNION SELECT $1::regclass) t
           JOIN pg_class c ON c.oid = t.relid
          WHERE c.relkind <> 'p'`,
        [table],
      );
      // A table never analyzed yet has no estimate of its rows: the workspace's count bounds it from below.
      const perRow = size.bytes / Math.max(size.tuples, Number(rows), 1);
      measured.push({ table, rows: Number(rows), bytes: Math.round(Number(rows) * perRow), kept });
    }
    return measured;
  });
}
