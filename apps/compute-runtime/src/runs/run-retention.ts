import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Database, PartitionKeeper } from '@signalbox/persistence';

import { EXECUTION_SETTINGS, type ExecutionSettings } from '../execution/execution.constants';

/** A day with a run still to finish (a manual retry of an old run, one in flight) is kept until it has. */
const KEEP_WHILE = "status IN ('queued', 'running')";

/** Days of partitions made ahead of today. */
const DAYS_AHEAD = 2;

/**
 * Keeps `runtime.runs` small: a partition per day exists two days ahead, and a day's partition is dropped once all
 * of it is older than RUN_RETENTION_DAYS. Every replica runs it; one at a time does the work.
 */
@Injectable()
export class RunRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly keeper: PartitionKeeper;

  constructor(database: Database, @Inject(EXECUTION_SETTINGS) settings: ExecutionSettings) {
    const logger = new Logger(RunRetention.name);
    this.keeper = new PartitionKeeper(
      database,
      { table: 'runtime.runs' },
      { retentionDays: settings.retentionDays, daysAhead: DAYS_AHEAD, keepWhile: KEEP_WHILE },
      { info: (message) => logger.log(message), warn: (message) => logger.warn(message) },
    );
  }

  onApplicationBootstrap(): void {
    this.keeper.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.keeper.stop();
  }
}
