import type { VersionList } from '@signalbox/contracts';
import type { EntityManager } from 'typeorm';

interface VersionRowLike {
  readonly version: number;
  readonly change: string;
  readonly changedBy: string;
  readonly changedAt: Date;
  readonly snapshot: Record<string, unknown>;
}

/** The `GET .../versions` answer of a function or a trigger, newest first. */
export function toVersionList(rows: readonly VersionRowLike[]): VersionList {
  return {
    versions: rows.map((row) => ({
      version: row.version,
      change: row.change,
      changedBy: row.changedBy,
      changedAt: row.changedAt.toISOString(),
      snapshot: row.snapshot,
    })),
    total: rows.length,
  };
}

/** Versions kept per function and per trigger: the latest ones; older ones are deleted as new ones are written. */
export const VERSIONS_KEPT = 100;

/**
 * Deletes the versions of one function or trigger older than the latest VERSIONS_KEPT, in the transaction that
 * wrote `latest` (the row is locked there, so two writers never prune at once). One row each time, except at
 * the first update after the upgrade that began keeping 100, which deletes all that are older.
 */
export async function pruneVersions(
  manager: EntityManager,
  of:
    | { table: 'data.compute_function_versions'; functionId: string }
    | { table: 'data.function_trigger_versions'; triggerId: string },
  latest: number,
): Promise<void> {
  if (latest <= VERSIONS_KEPT) return;
  const [column, id] = 'functionId' in of ? ['function_id', of.functionId] : ['trigger_id', of.triggerId];
  await manager.query(`DELETE FROM ${of.table} WHERE ${column} = $1 AND version <= $2`, [id, latest - VERSIONS_KEPT]);
}
