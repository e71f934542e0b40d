import { type Static, Type } from '@sinclair/typebox';

import { MAX_PAGE, Paged, Timestamp, Uuid } from './rest/common';
import { ExecutionTypes } from './rest/trigger-metadata';

/** Run lifecycle (architecture.md). Never rename a value. `sleeping`: suspended by `api.sleep` until it wakes. */
export const RunStatuses = ['queued', 'running', 'completed', 'failed', 'timed_out', 'cancelled', 'sleeping'] as const;
export type RunStatus = (typeof RunStatuses)[number];

/** `runtime.v1.runs.enqueue` request (data-service -> compute-runtime). */
export interface EnqueueRunRequest {
  readonly runId: string;
  readonly workspace: string;
  readonly triggerId: string;
  readonly functionId: string;
  readonly executionParams: unknown;
  readonly requestedBy: string;
}

export interface EnqueueRunReply {
  readonly jobId: string;
  readonly status: RunStatus;
}

/** A run that has no row yet: dispatched straight onto EXECUTIONS by the router (or the scheduler). */
export interface DispatchedRun {
  readonly triggerId: string;
  readonly functionId: string;
  readonly executionParams: unknown;
  readonly requestedBy: string;
  /** Someone waits for the outcome (an endpoint trigger's caller): publish a RunFinished on `runFinished`. */
  readonly notifyFinished?: boolean;
}

/**
 * The message on EXECUTIONS (`exec.<workspace>.<functionId>`), Nats-Msg-Id = runId. Without `run`, the run
 * row (written by `runtime.v1.runs.enqueue`) holds the rest. With `run`, the runtime records the run when it
 * takes the message; the run id is deterministic, so a second message for it never runs it twice.
 */
export interface ExecRequest {
  readonly runId: string;
  readonly workspace: string;
  readonly run?: DispatchedRun;
}

export interface GetRunRequest {
  readonly workspace: string;
  readonly runId: string;
}

export const RunLogSchema = Type.Object({ at: Timestamp, level: Type.String(), args: Type.Array(Type.Unknown()) });
export const RunStepSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  durationMs: Type.Integer(),
  /** The step completed in an earlier attempt: its recorded output was reused, `fn` did not run. */
  memoized: Type.Optional(Type.Boolean()),
});

/** One attempt of a run that was retried (its outcome; the last attempt's steps are the run's `steps`). */
/** Why a queued run has not started (docs/run-control.md "Why is it waiting"). Never rename a value. */
export const WaitReasons = ['concurrency', 'throttle', 'debounce', 'retry', 'sleep'] as const;
export type WaitReason = (typeof WaitReasons)[number];

/** A queued run that waits: why, for which key, its place in line (concurrency), until when (the rest). */
export const RunWaitingForSchema = Type.Object({
  reason: Type.Union(WaitReasons.map((reason) => Type.Literal(reason))),
  /** The value of the trigger's `key` expression that the run waits under ("" when it has none). */
  key: Type.Optional(Type.String()),
  /** 1 = next to start (concurrency; in `GET /function-runs/{jobId}` only). */
  position: Type.Optional(Type.Integer({ minimum: 1 })),
  /** When it may start (throttle, debounce, retry, sleep). */
  until: Type.Optional(Timestamp),
});
export type RunWaitingFor = Static<typeof RunWaitingForSchema>;

export const RunAttemptSchema = Type.Object({
  attempt: Type.Integer(),
  status: Type.String(),
  error: Type.Union([Type.Object({ name: Type.String(), message: Type.String() }), Type.Null()]),
  startedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Timestamp,
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
});
export type RunAttempt = Static<typeof RunAttemptSchema>;

export const FunctionRunSchema = Type.Object({
  jobId: Uuid,
  status: Type.Union(RunStatuses.map((status) => Type.Literal(status))),
  workspaceSlug: Type.String(),
  triggerId: Uuid,
  functionId: Uuid,
  functionVersion: Type.Union([Type.Integer(), Type.Null()]),
  executionParams: Type.Unknown(),
  result: Type.Unknown(),
  error: Type.Union([
    Type.Object({ name: Type.String(), message: Type.String(), stack: Type.Optional(Type.String()) }),
    Type.Null(),
  ]),
  steps: Type.Array(RunStepSchema),
  attempt: Type.Integer(),
  /** Every finished attempt, oldest first (a run that was never retried has one once it finished). */
  attempts: Type.Array(RunAttemptSchema),
  /** When the next attempt of a run waiting to be retried is due. */
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  /** Why a queued run has not started yet; null while it runs, once it finished, or when it just waits its turn. */
  waitingFor: Type.Union([RunWaitingForSchema, Type.Null()]),
  requestedBy: Type.String(),
  queuedAt: Timestamp,
  startedAt: Type.Union([Timestamp, Type.Null()]),
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  /**
   * The OpenTelemetry trace of the work that recorded the run (the record event, request, schedule fire or webhook
   * that caused it), 32 hex digits; null when tracing was off or the trace not sampled. Its spans, its log lines (`traceId`) and its
   * deliveries share it.
   */
  traceId: Type.Union([Type.String({ pattern: '^[0-9a-f]{32}$' }), Type.Null()]),
});
export type FunctionRun = Static<typeof FunctionRunSchema>;

export const FunctionRunLogsSchema = Type.Object({
  jobId: Uuid,
  logs: Type.Array(RunLogSchema),
  truncated: Type.Boolean(),
});
export type FunctionRunLogs = Static<typeof FunctionRunLogsSchema>;

/**
 * One run in a list: everything but what can be large (`executionParams`, `result`, `steps`, `attempts`, the
 * error's stack). `GET /function-runs/{jobId}` has the rest. So a page of 500 runs stays small whatever the
 * runs returned.
 */
export const FunctionRunSummarySchema = Type.Object({
  ...Type.Omit(FunctionRunSchema, ['executionParams', 'result', 'steps', 'attempts', 'error']).properties,
  error: Type.Union([Type.Object({ name: Type.String(), message: Type.String() }), Type.Null()]),
});
export type FunctionRunSummary = Static<typeof FunctionRunSummarySchema>;

export const FunctionRunListSchema = Paged('runs', FunctionRunSummarySchema);
export type FunctionRunList = Static<typeof FunctionRunListSchema>;

/** The filters of runs, shared by the run list and bulk jobs. */
export const RunFilterProperties = {
  triggerId: Type.Optional(Type.String({ format: 'uuid' })),
  functionId: Type.Optional(Type.String({ format: 'uuid' })),
  status: Type.Optional(Type.Union(RunStatuses.map((status) => Type.Literal(status)))),
  executionType: Type.Optional(
    Type.Union(
      ExecutionTypes.map((type) => Type.Literal(type)),
      { description: `runs of triggers of this type: ${ExecutionTypes.join(' | ')}` },
    ),
  ),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'queued at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'queued before this instant' })),
};

export const FunctionRunListQuerySchema = Type.Object(
  {
    ...RunFilterProperties,
    jobId: Type.Optional(Type.String({ format: 'uuid', description: 'this run only (a search by job id)' })),
    idempotencyKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'the run started by an execute with this Idempotency-Key (kept 24 h)',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
  },
  { additionalProperties: false },
);
export type FunctionRunListQuery = Static<typeof FunctionRunListQuerySchema>;

/**
 * `runtime.v1.runs.list` request. data-service resolves what only it knows: an execution type into the
 * workspace's triggers of that type, an idempotency key into its job id.
 */
export interface ListRunsRequest extends Omit<FunctionRunListQuery, 'executionType' | 'idempotencyKey'> {
  readonly workspace: string;
  /** Runs of these triggers only (an empty list matches none). */
  readonly triggerIds?: readonly string[];
}

/** How many runs of each function were queued since a time, by status (a dashboard's volume and failure rate). */
export const FunctionRunStatsQuerySchema = Type.Object(
  {
    functionId: Type.Array(Type.String({ format: 'uuid' }), {
      minItems: 1,
      maxItems: 100,
      description: 'the functions to count (repeat the parameter: functionId=a&functionId=b)',
    }),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'default: 24 hours ago' })),
  },
  { additionalProperties: false },
);
export type FunctionRunStatsQuery = Static<typeof FunctionRunStatsQuerySchema>;

export const FunctionRunStatsSchema = Type.Object({
  since: Timestamp,
  /** One entry per function asked about that has runs since then; a function without runs is absent. */
  functions: Type.Array(
    Type.Object({
      functionId: Uuid,
      total: Type.Integer(),
      byStatus: Type.Object(
        Object.fromEntries(RunStatuses.map((status) => [status, Type.Integer()])) as Record<
          RunStatus,
          ReturnType<typeof Type.Integer>
        >,
      ),
    }),
  ),
});
export type FunctionRunStats = Static<typeof FunctionRunStatsSchema>;

/** `runtime.v1.runs.stats` request. */
export interface RunStatsRequest {
  readonly workspace: string;
  readonly functionIds: readonly string[];
  readonly since: string;
}

/** `runtime.v1.runs.get` answers a run with its logs, or null. */
export interface RunWithLogs {
  readonly run: FunctionRun;
  readonly logs: FunctionRunLogs;
}

/**
 * `runtime.v1.runs.retry` answer: the run queued again, or why not (`NOT_FOUND`, `INVALID_STATUS`). A cancelled run
 * that cannot be retried says why: a debounce replaced it, or its sandbox is still stopping it.
 */
export type RetryRunReply =
  | { readonly jobId: string; readonly status: 'queued'; readonly attempt: number }
  | {
      readonly refused: 'NOT_FOUND' | 'INVALID_STATUS';
      readonly status: RunStatus | null;
      readonly why?: 'debounced' | 'stopping';
    };

export const RetryRunResponseSchema = Type.Object({
  jobId: Uuid,
  status: Type.Literal('queued'),
  /** The attempt it will be (the run's attempts so far plus one). */
  attempt: Type.Integer(),
});

/** `runtime.v1.runs.cancel` answer: the run is cancelled (now or before), or why not (`NOT_FOUND`, `INVALID_STATUS`). */
export type CancelRunReply =
  | { readonly jobId: string; readonly status: 'cancelled' }
  | { readonly refused: 'NOT_FOUND' | 'INVALID_STATUS'; readonly status: RunStatus | null };

export const CancelRunResponseSchema = Type.Object({ jobId: Uuid, status: Type.Literal('cancelled') });

export const ExecuteResponseSchema = Type.Object({ jobId: Uuid, status: Type.Literal('queued') });
export type ExecuteResponse = Static<typeof ExecuteResponseSchema>;

/** Lifecycle events of runs, published on PLATFORM_EVENTS for outbound webhooks. Never rename a value. */
export const FunctionEvents = {
  completed: 'function.completed',
  failed: 'function.failed',
  cancelled: 'function.cancelled',
} as const;

/**
 * The outbound webhook payload shape (api-contract.md "Outbound webhooks"): `id` (`run.<id>.<attempt>.<status>`) is deterministic per run
 * outcome and doubles as `Nats-Msg-Id`, so a republished event is de-duplicated.
 */
export interface FunctionRunEvent {
  readonly id: string;
  readonly event: (typeof FunctionEvents)[keyof typeof FunctionEvents];
  readonly workspace: string;
  readonly timestamp: string;
  readonly data: {
    readonly runId: string;
    readonly triggerId: string;
    readonly functionId: string;
    readonly status: RunStatus;
    readonly attempt: number;
    readonly durationMs: number | null;
    readonly error: { readonly name: string; readonly message: string } | null;
  };
}

/**
 * Published on `Subjects.runFinished(runId)` when a run with `notifyFinished` has its outcome recorded (again
 * after a redelivery, so a waiter still hears of a run that another runtime finished). Without `result` and
 * with `resultOmitted` when the result does not fit in one NATS message: the run record has it.
 */
export interface RunFinished {
  readonly runId: string;
  readonly status: RunStatus;
  readonly result: unknown;
  readonly resultOmitted?: true;
  readonly error: { readonly name: string; readonly message: string } | null;
  readonly durationMs: number | null;
}
