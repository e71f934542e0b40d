import type { FetchPolicy } from '../sandbox/guarded-fetch';
import type { SandboxLimits } from '../sandbox/sandbox.types';

/** Operator settings of the execution plane (config/env.schema.ts). */
export interface ExecutionSettings {
  readonly workers: number;
  readonly maxTimeoutMs: number;
  readonly graceMs: number;
  readonly limits: Omit<SandboxLimits, 'memoryMb' | 'timeoutMs' | 'cpuTimeMs'>;
  readonly fetch: FetchPolicy;
}

export const EXECUTION_SETTINGS = Symbol('EXECUTION_SETTINGS');
