import { SignalboxError } from '@signalbox/contracts';
import type { Pool } from 'pg';
import { DataSource, type DataSourceOptions, type MixedList } from 'typeorm';

export interface DatabaseSettings {
  readonly url: string;
  /** The Postgres schema this service owns; its migrations table lives there too. */
  readonly schema: string;
  readonly poolMax: number;
  readonly applicationName: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: MixedList<Function | string>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly migrations: MixedList<Function | string>;
}

export interface DatabaseLogger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * The service's Postgres connection. `start()` never blocks and never gives up: it connects with
 * backoff, runs the checked-in migrations under an advisory lock (replicas starting together do not
 * race), and only then reports ready. `synchronize` is never on.
 */
export class Database {
  private dataSource: DataSource | null = null;
  private migrated = false;
  private lastError = 'not connected yet';
  private stopping = false;
  private startup: Promise<void> | null = null;

  constructor(
    private readonly settings: DatabaseSettings,
    private readonly logger: DatabaseLogger,
  ) {}

  start(): void {
    this.startup ??= this.connectLoop();
  }

  /** Resolves once connected and migrated (tests and scripts use it; services never wait on it). */
  async whenReady(): Promise<void> {
    this.start();
    await this.startup;
  }

  /** Connected and migrated: `source` answers. */
  get isReady(): boolean {
    return this.dataSource !== null && this.migrated;
  }

  /** Readiness: rejects with the reason when Postgres is not usable. */
  async check(): Promise<void> {
    if (!this.dataSource || !this.migrated) throw new Error(this.lastError);
    await this.dataSource.query('SELECT 1');
  }

  /** The data source; a request that arrives before Postgres is usable answers 503. */
  get source(): DataSource {
    if (!this.dataSource || !this.migrated) {
      throw new SignalboxError('SERVICE_UNAVAILABLE', 'the database is not available yet; retry shortly');
    }
    return this.dataSource;
  }

  /**
   * One statement straight on the connection pool, without TypeORM's query runner, for the hottest reads, which map
   * their own rows. With `name`, the statement is prepared once per connection and then only bound and executed
   * (Postgres parses and plans it once): give each distinct SQL text its own name.
   */
  async rows<T>(sql: string, params: readonly unknown[], name?: string): Promise<T[]> {
    const pool = (this.source.driver as unknown as { master: Pool }).master;
    try {
      const result = await pool.query({ text: sql, values: [...params], ...(name ? { name } : {}) });
      return result.rows as T[];
    } catch (error) {
      // A migration changed what a statement prepared on this connection returns ("cached plan must not change
      // result type"), or the statement is gone: run it unprepared rather than fail until the process restarts.
      const code = (error as { code?: unknown }).code;
      if (!name || (code !== '0A000' && code !== '26000')) throw error;
      return (await pool.query({ text: sql, values: [...params] })).rows as T[];
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }

  private options(): DataSourceOptions {
    return {
      type: 'postgres',
      url: this.settings.url,
      schema: this.settings.schema,
      applicationName: this.settings.applicationName,
      entities: this.settings.entities,
      migrations: this.settings.migrations,
      migrationsTableName: 'migrations',
      synchronize: false,
      migrationsRun: false,
      logging: false,
      extra: { max: this.settings.poolMax, connectionTimeoutMillis: 5000 },
    };
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      const dataSource = new DataSource(this.options());
      try {
        await dataSource.initialize();
        await migrateUnderLock(dataSource, this.settings.schema);
        if (this.stopping) {
          await dataSource.destroy();
          return;
        }
        this.dataSource = dataSource;
        this.migrated = true;
        this.logger.info(`connected to Postgres, schema "${this.settings.schema}" migrated`);
        return;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.logger.warn(`Postgres not usable (attempt ${attempt}): ${this.lastError}`);
        if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
        await sleep(Math.min(250 * 2 ** attempt, 10_000));
      }
    }
  }
}

/**
 * Creates the schema and runs pending migrations while holding a session-level advisory lock keyed
 * by the schema name, so that N replicas starting at once run each migration exactly once.
 */
export async function migrateUnderLock(dataSource: DataSource, schema: string): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const lockKey = `signalbox:migrations:${schema}`;
  try {
    // Polled, not waited for in pg_advisory_lock: a statement blocked there holds a snapshot, which a
    // CREATE INDEX CONCURRENTLY in the running replica's migrations waits for, while that replica waits
    // for its migrations: neither would ever go on (seen with three replicas starting on a fresh database).
    const locked = async () =>
      (
        (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [lockKey])) as Array<{ got: boolean }>
      )[0]?.got === true;
    while (!(await locked())) await sleep(MIGRATION_LOCK_POLL_MS);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '""')}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    await runner.release();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often a replica looks whether another one has finished migrating. */
const MIGRATION_LOCK_POLL_MS = 200;
