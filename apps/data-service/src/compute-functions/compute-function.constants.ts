/** Limits and defaults of compute functions, from the environment (config/env.schema.ts). */
export interface FunctionLimits {
  readonly maxCodeBytes: number;
  readonly defaultTimeoutMs: number;
  readonly defaultMemoryMb: number;
}

export const FUNCTION_LIMITS = Symbol('FUNCTION_LIMITS');
