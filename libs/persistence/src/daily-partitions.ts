import type { WorkspaceRetention } from '@signalbox/contracts';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

import type { Database, DatabaseLogger } from './database';

const DAY_MS = 86_400_000;

/** `2026-12-06` -> `20261206`: the suffix of that day's partition. */
const suffix = (day: Date) => day.toISOString().slice(0, 10).replaceAll('-', '');

/** The UTC midnight that starts the day of `at`. */
export const startOfDay = (at: Date): Date => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);

/**
 * The days that hold these instants, as a half-open range of timestamps `[from, to)`: a statement that names it
 * touches those days' partitions only, not every day's.
 */
export function daysOf(instants: ReadonlyArray<string | Date>): [string, string] {
  const times = instants.map((at) => new Date(at).getTime());
  const from = startOfDay(new Date(Math.min(...times)));
  const to = new Date(startOfDay(new Date(Math.max(...times))).getTime() + DAY_MS);
  return [from.toISOString(), to.toISOString()];
}

/** A table partitioned by day on a timestamp column (`PARTITION BY RANGE (<column>)`), one partition per UTC day. */
export interface DailyPartitionedTable {
  /** `<schema>.<table>`; its partitions are `<schema>.<table>_pYYYYMMDD`. */
  readonly table: string;
  /**
   * Tables partitioned on the same days whose rows belong to the table's (a delivery's attempts): their
   * partitions are made and dropped with the table's.
   */
  readonly alongside?: readonly string[];
}

export interface InsertOptions {
  /**
   * false: the commit answers before its WAL reaches the disk (`synchronous_commit = off` for this transaction
   * only), saving a flush of about a millisecond. A Postgres crash can then lose the rows of the last fraction of
   * a second, so only for rows that something durable recreates: the next synchronous commit, or a message still
   * unacknowledged on JetStream. Rows that acknowledge anything must wait for the flush (the default).
   */
  readonly waitForFlush?: boolean;
}

/**
 * Runs `insert` in a transaction that first locks `ids` (advisory transaction locks under `lockClass`): on a
 * table partitioned by day no unique index spans the partitions, so an insert that must keep an id to one row
 * checks every partition for it (`NOT EXISTS`, or `NOT IN (... id = ANY(ids))`), and the lock makes that check and
 * the insert one step for each id (a second inserter waits, then sees the row). Ids are locked in one order, so
 * two batches never deadlock.
 */
export function insertEachIdOnce<T>(
  source: DataSource,
  lockClass: number,
  ids: readonly string[],
  insert: (manager: EntityManager) => Promise<T>,
  { waitForFlush = true }: InsertOptions = {},
): Promise<T> {
  // READ COMMITTED, whatever the server's default: the insert must see what a waiter before it committed.
  return source.transaction('READ COMMITTED', async (manager) => {
    // The server's own setting stays unless asked (it may be stronger than `on`, for a synchronous standby).
    const commitMode = waitForFlush ? '' : `, (SELECT set_config('synchronous_commit', 'off', true)) AS commit_mode`;
    await manager.query(
      `SELECT pg_advisory_xact_lock($2::int, key)
         FROM (SELECT DISTINCT hashtext(id::text) AS key FROM unnest($1::uuid[]) AS id ORDER BY key) AS keys${commitMode}`,
      [ids, lockClass],
    );
    return insert(manager);
  });
}

type Queryable = Pick<QueryRunner, 'query'> | Pick<DataSource, 'query'>;

/**
 * Creates the partitions of the days from `from` to `to` (both included) that do not exist yet. Safe to run on
 * several replicas at once: a partition another one created meanwhile is skipped.
 */
export async function createDailyPartitions(
  db: Queryable,
  { table, alongside = [] }: DailyPartitionedTable,
  from: Date,
  to: Date,
): Promise<void> {
  for (let day = startOfDay(from); day.getTime() <= to.getTime(); day = new Date(day.getTime() + DAY_MS)) {
    const next = new Date(day.getTime() + DAY_MS);
    for (const parent of [table, ...alongside]) {
      try {
        await db.query(
          `CREATE TABLE IF NOT EXISTS ${parent}_p${suffix(day)} PARTITION OF ${parent}
             FOR VALUES FROM ('${day.toISOString()}') TO ('${next.toISOString()}')`,
        );
      } catch (error) {
        // Another replica created it between our check and our create.
        if (!/already exists/.test(String(error))) throw error;
      }
    }
  }
}

/**
 * The table's daily partitions, oldest first, each with its day and whether it is attached (one detached by a
 * keeper that died before dropping it is still listed, so that the next one drops it).
 */
export async function listDailyPartitions(
  db: Queryable,
  { table }: DailyPartitionedTable,
): Promise<Array<{ name: string; day: Date; attached: boolean }>> {
  const [schema, parent] = table.split('.');
  const rows = (await db.query(
    `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) AS attached
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname ~ ('^' || $2 || '_p[0-9]{8}$')`,
    [schema, parent],
  )) as Array<{ name: string; attached: boolean }>;
  return rows
    .map(({ name, attached }) => {
      const [, y, m, d] = /_p(\d{4})(\d{2})(\d{2})$/.exec(name)!;
      return { name: `${schema}.${name}`, day: new Date(`${y}-${m}-${d}T00:00:00.000Z`), attached };
    })
    .sort((a, b) => a.day.getTime() - b.day.getTime());
}

export interface RetentionSettings {
  /** Keep rows this many days: a day's partition is dropped once all of it is older. */
  readonly retentionDays: number;
  /** Partitions made ahead of today, so that inserts never find their day missing. */
  readonly daysAhead: number;
  /**
   * A condition on the rows (SQL): a day past the retention that still holds a row meeting it is kept, and
   * named in the log (for runs: one still queued or running, which its message will come back to).
   */
  readonly keepWhile?: string;
  /**
   * Rows of a workspace that keeps them fewer days than the platform (its own `setting`, asked of data-service):
   * `deleteBatch` deletes one batch of a workspace's rows older than a time (`$1` workspace, `$2` the time, `$3`
   * the batch size; answers `n`, the rows deleted), leaving those that `keepWhile` keeps. Partitions serve every
   * workspace at once, so this is a DELETE, paid only by the workspaces that ask for it.
   */
  readonly perWorkspace?: {
    readonly setting: keyof WorkspaceRetention;
    readonly deleteBatch: string;
  };
}

/** A workspace's own retention of one table, in days. */
export interface WorkspaceDays {
  readonly workspace: string;
  readonly days: number;
}

/** Rows deleted per statement for a workspace's own retention: short transactions, and progress kept if killed. */
const WORKSPACE_DELETE_BATCH = 5_000;

/** Statements per table per turn (500,000 rows): a large first backlog goes on at the next turn, a minute later. */
const WORKSPACE_DELETE_BATCHES_PER_TURN = 100;

/** A daily partitioned table and how it is kept: what a service names for its `PartitionKeeper`. */
export type KeptTable = DailyPartitionedTable & RetentionSettings;

/**
 * Keeps a daily partitioned table: the partitions of the coming days exist, and those wholly older than the
 * retention are detached (`CONCURRENTLY`: inserts and reads go on meanwhile) and dropped. Expiry costs one
 * DROP TABLE per day, whatever the number of rows. Replicas run it side by side; a session advisory lock per
 * table lets one of them at a time do the work, and each step is idempotent, so a replica that dies halfway
 * leaves the next one to finish.
 */
export async function maintainDailyPartitions(
  source: DataSource,
  target: DailyPartitionedTable,
  settings: RetentionSettings,
  logger: DatabaseLogger,
  now = new Date(),
  workspaces: readonly WorkspaceDays[] = [],
  stopping: () => boolean = () => false,
): Promise<{ dropped: string[]; deleted: number; more: boolean } | null> {
  const runner = source.createQueryRunner();
  const lockKey = `signalbox:partitions:${target.table}`;
  try {
    const [{ got }] = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [lockKey])) as Array<{
      got: boolean;
    }>;
    if (!got) return null; // another replica is at it
    try {
      await createDailyPartitions(runner, target, now, new Date(now.getTime() + settings.daysAhead * DAY_MS));
      const cutoff = new Date(startOfDay(now).getTime() - settings.retentionDays * DAY_MS);
      const dropped: string[] = [];
      for (const { name, day, attached } of await listDailyPartitions(runner, target)) {
        if (day.getTime() + DAY_MS > cutoff.getTime()) break; // this day still holds rows younger than the cutoff
        if (settings.keepWhile) {
          const busy = (await runner.query(`SELECT 1 FROM ${name} WHERE ${settings.keepWhile} LIMIT 1`)) as unknown[];
          if (busy.length > 0) {
            logger.warn(`kept ${name} past the retention: it still holds rows where ${settings.keepWhile}`);
            continue;
          }
        }
        // The rows that belong to this day's (attempts of its deliveries) go first: the table's partition, dropped
        // last, is what tells the next keeper (this one died halfway) that the day is not done.
        for (const parent of target.alongside ?? []) {
          const companion = `${parent}_p${suffix(day)}`;
          const [{ exists, inParent }] = (await runner.query(
            `SELECT to_regclass($1) IS NOT NULL AS exists,
                    EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1)) AS "inParent"`,
            [companion],
          )) as Array<{ exists: boolean; inParent: boolean }>;
          if (!exists) continue;
          if (inParent) await detach(runner, parent, companion);
          await runner.query(`DROP TABLE IF EXISTS ${companion}`);
        }
        if (attached) await detach(runner, target.table, name);
        await runner.query(`DROP TABLE IF EXISTS ${name}`);
        dropped.push(name);
      }
      if (dropped.length > 0)
        logger.info(`dropped ${dropped.length} expired partition(s) of ${target.table}: ${dropped.join(', ')}`);
      const { deleted, more } = await deleteWorkspaceRows(runner, target, settings, logger, now, workspaces, stopping);
      return { dropped, deleted, more };
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Deletes the rows of the workspaces that keep them fewer days than the platform, a batch at a time, at most
 * WORKSPACE_DELETE_BATCHES_PER_TURN batches, and stops between two when the service is stopping. Answers the rows
 * deleted and whether some are left for the next turn.
 */
async function deleteWorkspaceRows(
  runner: QueryRunner,
  target: DailyPartitionedTable,
  settings: RetentionSettings,
  logger: DatabaseLogger,
  now: Date,
  workspaces: readonly WorkspaceDays[],
  stopping: () => boolean,
): Promise<{ deleted: number; more: boolean }> {
  if (!settings.perWorkspace) return { deleted: 0, more: false };
  let total = 0;
  let batches = 0;
  for (const { workspace, days } of workspaces) {
    if (days >= settings.retentionDays) continue; // the partitions go first
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    let deleted = 0;
    let n = WORKSPACE_DELETE_BATCH;
    while (n === WORKSPACE_DELETE_BATCH) {
      if (stopping() || batches >= WORKSPACE_DELETE_BATCHES_PER_TURN) {
        if (deleted > 0) logger.info(`deleted ${deleted} row(s) of ${target.table} in ${workspace}; more next turn`);
        return { deleted: total + deleted, more: true };
      }
      [{ n }] = (await runner.query(settings.perWorkspace.deleteBatch, [
        workspace,
        cutoff,
        WORKSPACE_DELETE_BATCH,
      ])) as Array<{ n: number }>;
      batches++;
      deleted += n;
    }
    if (deleted > 0)
      logger.info(`deleted ${deleted} row(s) of ${target.table} older than ${days} days in ${workspace}`);
    total += deleted;
  }
  return { deleted: total, more: false };
}

/**
 * Detaches a partition without blocking the table's inserts and reads (`CONCURRENTLY`); a detach that a keeper
 * began and did not finish (it died) is finalized instead.
 */
async function detach(runner: QueryRunner, table: string, partition: string): Promise<void> {
  await runner
    .query(`ALTER TABLE ${table} DETACH PARTITION ${partition} FINALIZE`)
    .catch(() => runner.query(`ALTER TABLE ${table} DETACH PARTITION ${partition} CONCURRENTLY`));
}

/**
 * Runs `maintainDailyPartitions` once the database is ready and every `everyMs` after (default hourly), for the
 * life of the service. A failure is logged and tried again at the next turn.
 */
export class PartitionKeeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private lastRun = 0;
  private stopping = false;

  constructor(
    private readonly database: Database,
    private readonly target: DailyPartitionedTable,
    private readonly settings: RetentionSettings,
    private readonly logger: DatabaseLogger,
    /** The workspaces with a retention of their own for this table (`settings.perWorkspace`). */
    private readonly workspaceDays: () => Promise<readonly WorkspaceDays[]> = () => Promise.resolve([]),
    private readonly everyMs = 3_600_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), Math.min(5_000, this.everyMs));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    if (this.running || !this.database.isReady || Date.now() - this.lastRun < this.everyMs) return;
    this.lastRun = Date.now();
    this.running = this.workspaceDays()
      .catch((error: unknown) => {
        // Without the list, the platform's retention still runs; the workspaces' waits for the next turn.
        this.logger.warn(`the workspaces' own retention of ${this.target.table} is unknown: ${String(error)}`);
        return [];
      })
      .then(async (workspaces) => {
        const done = await maintainDailyPartitions(
          this.database.source,
          this.target,
          this.settings,
          this.logger,
          new Date(),
          workspaces,
          () => this.stopping,
        );
        // Rows left to delete: the next turn comes in a minute, not an hour.
        if (done?.more) this.lastRun = Date.now() - this.everyMs + 60_000;
      })
      .catch((error: unknown) =>
        this.logger.warn(`keeping the partitions of ${this.target.table} failed: ${String(error)}`),
      )
      .finally(() => (this.running = null));
  }
}
