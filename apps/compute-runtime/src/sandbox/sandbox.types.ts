import type { FetchPolicy } from '@signalbox/net-guard';

/** One run handed to the sandbox. Everything here is copied into the isolate; nothing is shared. */
export interface SandboxJob {
  readonly runId: string;
  /** Which attempt of the run this is: a cancel names it, so stopping one attempt never stops the run's next. */
  readonly attempt: number;
  readonly workspace: string;
  readonly code: string;
  readonly executionParams: unknown;
  /** Secrets already opened: the worker process holds them only for the run. */
  readonly triggerParams: unknown;
  readonly limits: SandboxLimits;
  /** What `api.fetch` may reach (the operator's settings). */
  readonly fetch: FetchPolicy;
  /** Outputs of the steps an earlier attempt of this run completed, by step id: `api.step` returns them. */
  readonly memoizedSteps?: Readonly<Record<string, unknown>>;
  /** The trigger's `priority`, as a head start in milliseconds among the runs waiting for a worker. */
  readonly priorityMs?: number;
  /** Tracing is on: time the run's steps and fetches (`SandboxResult.spans`). */
  readonly traced?: boolean;
}

export interface SandboxLimits {
  /** Isolate heap limit (function `memoryMb`). */
  readonly memoryMb: number;
  /** Wall-clock limit (function `timeoutMs`, capped by the operator's maximum). */
  readonly timeoutMs: number;
  /** CPU time the isolate may use. */
  readonly cpuTimeMs: number;
  readonly maxResultBytes: number;
  readonly maxLogLines: number;
  readonly maxLogBytes: number;
  readonly maxFetches: number;
}

/** `sleeping`: the function called `api.sleep`; it is suspended, and runs again from the top when it wakes. */
export type SandboxStatus = 'completed' | 'failed' | 'timed_out' | 'sleeping';

export interface SandboxLogEntry {
  readonly at: string;
  readonly level: 'info';
  /** The arguments of `api.log(...)`, as JSON values. */
  readonly args: unknown[];
}

export interface SandboxStep {
  readonly id: string;
  readonly status: 'completed' | 'failed';
  readonly output?: unknown;
  readonly error?: string;
  readonly durationMs: number;
  readonly memoized?: boolean;
}

export interface SandboxError {
  readonly name: string;
  readonly message: string;
  /** Frames inside the user's code only. */
  readonly stack?: string;
}

export interface SandboxResult {
  readonly runId: string;
  readonly status: SandboxStatus;
  readonly result?: unknown;
  readonly error?: SandboxError;
  readonly logs: SandboxLogEntry[];
  readonly logsTruncated: boolean;
  readonly steps: SandboxStep[];
  readonly durationMs: number;
  readonly cpuTimeMs: number;
  /** `sleeping`: how long it asked to sleep, and the sleep's step id. */
  readonly sleepMs?: number;
  readonly sleepId?: string;
  /** When tracing is on (`WorkerJob.traced`): what the run's `api.step` and `api.fetch` calls took, for its trace. */
  readonly spans?: SandboxSpan[];
  /** Calls past the first `MAX_SPANS`, counted only. */
  readonly spansDropped?: number;
}

/**
 * One `api.step` or `api.fetch` call, timed in the worker process, which makes no spans itself (it has no tracing
 * SDK): the runtime makes them, children of the run attempt's span. Only what identifies the call: a step's id; a
 * fetch's method, host and status (never its path or query, where a token may be).
 */
export interface SandboxSpan {
  readonly name: 'api.step' | 'api.fetch';
  /** Epoch milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, string | number>>;
  readonly failed: boolean;
}

/**
 * A job as it travels to the worker: the user's values as one JSON text (`{executionParams, triggerParams,
 * memoizedSteps}`), parsed inside the isolate. Structured clone between processes recurses, and a deeply
 * nested value used to overflow the stack of the process that (de)serialized it; JSON text does not nest.
 */
export type WorkerJob = Omit<SandboxJob, 'executionParams' | 'triggerParams' | 'memoizedSteps' | 'priorityMs'> & {
  readonly input: string;
  /** The memoized steps again, as JSON text, for the host's own copy (absent when there are none). */
  readonly memo?: string;
};

/** Messages between the supervisor and a sandbox worker process (IPC). A result travels as JSON text too. */
export type ToWorker = { readonly type: 'run'; readonly job: WorkerJob };
export type FromWorker = { readonly type: 'ready' } | { readonly type: 'result'; readonly result: string };
