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
 * would read them all. Each count uses the table's index on `workspace_slug`.
 */
export async function measureUsage(
  source: Pick<DataSource, 'query'>,
  workspace: string,
  tables: readonly UsageTable[],
): Promise<Array<{ table: string; rows: number; bytes: number; kept: string }>> {
  const measured = [];
  for (const { table, kept, countSql } of tables) {
    const [{ rows }] = await source.query<Array<{ rows: string }>>(
      countSql ?? `SELECT count(*)::bigint AS rows FROM ${table} WHERE workspace_slug = $1`,
      [workspace],
    );
    const [size] = await source.query<Array<{ bytes: number; tuples: number }>>(
      `SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::float8 AS bytes,
              coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS tuples
         FROM (SELECT relid FROM pg_partition_tree($1::regclass) WHERE isleaf
               UNION SELECT $1::regclass) t          -- a table that is not partitioned is its own tree
         JOIN pg_class c ON c.oid = t.relid`,
      [table],
    );
    let tuples = size.tuples;
    if (tuples < 1 && Number(rows) > 0) {
      // Never analyzed yet (a young table, so a small one): count it.
      const [all] = await source.query<Array<{ n: number }>>(`SELECT count(*)::float8 AS n FROM ${table}`);
      tuples = all.n;
    }
    const perRow = tuples >= 1 ? size.bytes / tuples : 0;
    measured.push({ table, rows: Number(rows), bytes: Math.round(Number(rows) * perRow), kept });
  }
  return measured;
}
