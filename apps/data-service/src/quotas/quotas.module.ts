import { type DynamicModule, Module } from '@nestjs/common';
import { RunQuota, runQuotaProvider } from '@signalbox/messaging';

/** Per-workspace quotas, from the environment (config/env.schema.ts). */
export interface WorkspaceQuotas {
  /** Runs waiting, retrying or running at once (RUNS_IN_FLIGHT_PER_WORKSPACE). */
  readonly runsInFlight: number;
  /** Scheduled and polling triggers (SCHEDULES_PER_WORKSPACE). */
  readonly schedules: number;
}

export const WORKSPACE_QUOTAS = Symbol('WORKSPACE_QUOTAS');

/**
 * The quotas that keep one workspace from crowding out the others: runs in flight (checked where runs are
 * asked for: execute, record events posted to the API) and schedules (checked when one is created).
 */
@Module({})
export class QuotasModule {
  static register(quotas: WorkspaceQuotas): DynamicModule {
    return {
      module: QuotasModule,
      global: true,
      providers: [{ provide: WORKSPACE_QUOTAS, useValue: quotas }, runQuotaProvider(quotas.runsInFlight)],
      exports: [WORKSPACE_QUOTAS, RunQuota],
    };
  }
}
