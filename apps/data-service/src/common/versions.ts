import type { VersionList } from '@signalbox/contracts';

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
