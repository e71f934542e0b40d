import type { PlanSettings } from './fire-planner';

/** Operator settings of the scheduler (config/env.schema.ts). */
export interface SchedulerSettings {
  readonly batchSize: number;
  /** Claim-and-fire loops per replica. */
  readonly concurrency: number;
  readonly maxSleepMs: number;
  readonly claimTimeoutMs: number;
  readonly plan: PlanSettings;
}

export const SCHEDULER_SETTINGS = Symbol('SCHEDULER_SETTINGS');
