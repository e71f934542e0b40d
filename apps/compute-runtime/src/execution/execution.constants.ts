import type { FetchPolicy } from '@signalbox/net-guard';

import type { SandboxLimits } from '../sandbox/sandbox.types';

/** Operator settings of the execution plane (config/env.schema.ts). */
export interface ExecutionSettings {
  readonly workers: number;
  /** Runs taken from the queue at once (at least `workers`; the sandbox pool queues the surplus). */
  readonly concurrency: number;
  readonly maxTimeoutMs: number;
  readonly graceMs: number;
  /** Resident memory one sandbox worker may hold (every allocation path, not only the isolate heap). */
  readonly maxWorkerRssMb: number;
  /** A running run's lease, renewed by its heartbeat; once it lapses (the runtime died) another replica retries the run. */
  readonly leaseMs: number;
  /** Attempts (a crash of the runtime costs one); after the last the run is failed. */
  readonly maxAttempts: number;
  readonly limits: Omit<SandboxLimits, 'memoryMb' | 'timeoutMs' | 'cpuTimeMs'>;
  readonly fetch: FetchPolicy;
}

export const EXECUTION_SETTINGS = Symbol('EXECUTION_SETTINGS');
