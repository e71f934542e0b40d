import { Injectable } from '@nestjs/common';
import type {
  FunctionRun,
  FunctionRunLogs,
  FunctionRunSummary,
  ListRunsRequest,
  RunStatus,
  RunWaitingFor,
  WaitReason,
} from '@signalbox/contracts';
import { activeTraceparent } from '@signalbox/observability';
import {
  Database,
  daysOf as daysOfInstants,
  GROUP_COMMIT,
  insertEachIdOnce,
  type InsertOptions,
  MicroBatcher,
  Outbox,
  type OutboxMessage,
  startOfDay,
  storableJson,
} from '@signalbox/persistence';
import type { EntityManager } from 'typeorm';

import type { SandboxResult } from '../sandbox/sandbox.types';

interface RunRow {
  id: string;
  workspace_slug: string;
  trigger_id: string;
  function_id: string;
  function_version: number | null;
  status: RunStatus;
  execution_params: unknown;
  result: unknown;
  error: FunctionRun['error'];
  logs: FunctionRunLogs['logs'];
  logs_truncated: boolean;
  steps: FunctionRun['steps'];
  attempt: number;
  attempts: FunctionRun['attempts'];
  next_attempt_at: Date | null;
  waiting_for: StoredWait | null;
  flow_stage: number;
  sleeps: number;
  requested_by: string;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  traceparent: string | null;
}

/** `waiting_for` as stored: why a run parked by a flow-control gate waits (`until` as ISO text). */
export interface StoredWait {
  readonly reason: WaitReason;
  readonly key: string;
  readonly until?: string;
}

/** How far through the flow-control gates a run got: 1 past debounce, 2 past throttle (`FlowGate`). */
export interface FlowState {
  /** Why it waited last (it came back from that wait), or null. */
  readonly waitedFor: WaitReason | null;
  readonly stage: number;
  /** How often `api.sleep` suspended it. */
  readonly sleeps: number;
}

/**
 * SQL (a CTE over the ids in `done`): the concurrency slots of runs that stopped running are free, in the same
 * statement as the run's change, so a slot is never held by a finished run. `FlowGate.admitNext` then starts the
 * next waiting run.
 */
const FREE_SLOTS = (done: string) =>
  `freed AS (DELETE FROM runtime.flow_slots WHERE run_id IN (SELECT id FROM ${done}))`;

/**
 * The same for runs that were cancelled: their places in line, their debounce entries, and the slots of those that
 * were not running (`duration_ms` is set only for a run cancelled while running). A running run keeps its slot until
 * its sandbox has stopped it: its runtime frees it then (FlowGate.release), or the keeper's sweep if that runtime died.
 */
const FREE_SLOTS_AND_PLACES = (done: string) => `freed AS (
    DELETE FROM runtime.flow_slots WHERE run_id IN (SELECT id FROM ${done} WHERE duration_ms IS NULL)),
  unlined AS (DELETE FROM runtime.flow_waiting WHERE run_id IN (SELECT id FROM ${done})),
  undebounced AS (DELETE FROM runtime.flow_debounce WHERE run_id IN (SELECT id FROM ${done}))`;

/**
 * SQL (an UPDATE of `runtime.runs r` from a recordset `x`): the finished attempt appended to `attempts`, with
 * its status, error, start and finish. Shared by finish and scheduleRetry.
 */
const APPEND_ATTEMPT = `attempts = r.attempts || jsonb_build_array(jsonb_build_object(
  'attempt', r.attempt, 'status', x.status,
  'error', CASE WHEN x.error IS NULL THEN NULL
                ELSE jsonb_build_object('name', x.error->>'name', 'message', x.error->>'message') END,
  'startedAt', to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'finishedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'durationMs', x.duration_ms))`;

/**
 * SQL (the SET list of an UPDATE of `runtime.runs`): a queued or running run cancelled, final. A run that was running
 * keeps how long it ran, its attempt is added to `attempts` (cancelled: not one cut short by a dead runtime), and it
 * keeps that attempt's lease until its runtime has stopped it (`stopped`; or the lease lapses, the runtime dead).
 * Shared by one cancel and a bulk job's page.
 */
const CANCELLED = `status = 'cancelled', finished_at = now(), next_attempt_at = NULL, error = NULL,
  result = NULL, waiting_for = NULL,
  lease_until = CASE WHEN status = 'running' THEN lease_until END,
  duration_ms = CASE WHEN status = 'running' THEN (extract(epoch FROM now() - started_at) * 1000)::int END,
  attempts = CASE WHEN status = 'running' THEN attempts || jsonb_build_array(jsonb_build_object(
    'attempt', attempt, 'status', 'cancelled', 'error', NULL,
    'startedAt', to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'finishedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'durationMs', (extract(epoch FROM now() - started_at) * 1000)::int)) ELSE attempts END`;

/**
 * SQL (a condition on `runtime.runs`, unaliased): a run a user may retry. A failed or timed-out one; or one a user
 * cancelled (not one a debounce replaced, `error` Debounced: its input is stale), once the attempt it was running has
 * stopped: its lease cleared by its runtime or lapsed, and its concurrency slot let go (see CANCELLED and
 * FREE_SLOTS_AND_PLACES). So a retry does not start an attempt beside the cancelled one (unless that one's runtime had
 * stalled past its lease: it stops at its first heartbeat after the stall).
 */
const RETRYABLE = `(status IN ('failed', 'timed_out') OR (status = 'cancelled' AND error IS NULL
  AND (lease_until IS NULL OR lease_until < now())
  AND NOT EXISTS (SELECT 1 FROM runtime.flow_slots s WHERE s.run_id = runtime.runs.id)))`;

/**
 * SQL (a SET list): a RETRYABLE run queued again for its next attempt. Shared by one retry and a bulk page. A
 * cancelled run that never started (a gate had parked it: no start, and no sleep, after which a park also clears the
 * start) passes the debounce and throttle gates again, as a new arrival: the cancel took its place in them.
 */
const REQUEUED = `status = 'queued', next_attempt_at = now(), finished_at = NULL, result = NULL, lease_until = NULL,
  flow_stage = CASE WHEN status = 'cancelled' AND started_at IS NULL AND sleeps = 0 THEN 0 ELSE flow_stage END`;

/*
 * On the partitioned `runtime.runs`, a statement that joins a recordset by id also names the ids as an array
 * (`r.id = ANY(...)`): without it the planner hashes every partition's rows instead of probing each one's
 * primary key (measured: bench:events fell from 394 to under 200 runs/s).
 */

/** A run as the statements that change it find it: its id, and its day (the partition it is in). */
export type RunKey = Pick<FunctionRun, 'jobId' | 'queuedAt'>;

/**
 * The days that hold these runs, as a `queued_at` range: with it a statement touches their partitions only,
 * not every day's. `queuedAt` is in milliseconds and `queued_at` in microseconds, so a day, not the instant.
 */
const daysOf = (runs: readonly RunKey[]) => daysOfInstants(runs.map((run) => run.queuedAt));

/**
 * Look-ups by id try the partitions from yesterday on first (`queued_at >= recentDays()`): the planner then
 * reads 4 partitions, not every day's, and nearly every look-up is of a recent run.
 */
const recentDays = () => startOfDay(new Date(Date.now() - 86_400_000)).toISOString();

// The hot statements of every run (recording a dispatched run, recording its outcome) commit in groups.

/** The error name of a run that a later one replaced (debounce): no `function.cancelled` is announced for it. */
export const DEBOUNCED = 'Debounced';

/** The first key of the advisory locks on run ids (`insertOnce`), apart from every other lock's. */
const RUN_ID_LOCK_CLASS = 0x5b0e;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

const claimed = (row: RunRow): ClaimOutcome => ({
  kind: 'claimed',
  run: toRun(row),
  flow: { waitedFor: row.waiting_for?.reason ?? null, stage: row.flow_stage, sleeps: row.sleeps },
});

function toRun(row: RunRow): FunctionRun {
  return {
    ...toSummary(row),
    executionParams: row.execution_params,
    result: row.result ?? null,
    error: row.error ?? null,
    steps: row.steps,
    attempts: row.attempts,
  };
}

/** The columns of a run summary (lists): none of what can be large. */
const SUMMARY_COLUMNS = `id, status, workspace_slug, trigger_id, function_id, function_version, attempt, next_attempt_at,
  waiting_for, requested_by, queued_at, started_at, finished_at, duration_ms, traceparent,
  CASE WHEN error IS NULL THEN NULL ELSE jsonb_build_object('name', error->>'name', 'message', error->>'message') END
    AS error`;

type SummaryRow = Omit<
  RunRow,
  'execution_params' | 'result' | 'logs' | 'logs_truncated' | 'steps' | 'attempts' | 'flow_stage'
>;

/**
 * Why a queued run waits: what a flow-control gate recorded when it parked it, or a retry's backoff. A run that
 * waits only for its turn in the queue (or runs, or finished) waits for nothing.
 */
function waitingForOf(row: SummaryRow): RunWaitingFor | null {
  if (row.status !== 'queued' && row.status !== 'sleeping') return null;
  if (row.waiting_for) {
    const { reason, key, until } = row.waiting_for;
    return { reason, ...(reason === 'sleep' ? {} : { key }), ...(until ? { until } : {}) };
  }
  if (row.next_attempt_at && row.next_attempt_at.getTime() > Date.now() && row.attempt >= 1) {
    return { reason: 'retry', until: row.next_attempt_at.toISOString() };
  }
  return null;
}

function toSummary(row: SummaryRow): FunctionRunSummary {
  return {
    jobId: row.id,
    status: row.status,
    workspaceSlug: row.workspace_slug,
    triggerId: row.trigger_id,
    functionId: row.function_id,
    functionVersion: row.function_version,
    error: row.error ? { name: row.error.name, message: row.error.message } : null,
    attempt: row.attempt,
    nextAttemptAt: iso(row.next_attempt_at),
    waitingFor: waitingForOf(row),
    requestedBy: row.requested_by,
    queuedAt: row.queued_at.toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    durationMs: row.duration_ms,
    traceId: traceIdOf(row.traceparent),
  };
}

/** A run to record: queued (`insert`) or dispatched and claimed at once (`insertClaimed`). */
interface NewRunRow {
  readonly id: string;
  readonly workspace: string;
  readonly triggerId: string;
  readonly functionId: string;
  readonly executionParams: unknown;
  readonly requestedBy: string;
  /** The trace context of the work that records it (tracing on); taken from the active span when absent. */
  readonly traceparent?: string;
}

/**
 * The run with the trace context of the work recording it (runs recorded together belong to different traces): its
 * later attempts (woken from a sleep, admitted to a slot) continue that trace, and the API shows its trace id.
 */
const withTrace = (run: NewRunRow): NewRunRow => {
  const traceparent = run.traceparent ?? activeTraceparent();
  return traceparent ? { ...run, traceparent } : run;
};

/** The trace id of a stored `traceparent` (`00-<trace id>-<span id>-<flags>`) when it was sampled, else null. */
const traceIdOf = (traceparent: string | null): string | null => {
  const match = traceparent ? /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(traceparent) : null;
  return match && (parseInt(match[2], 16) & 1) === 1 ? match[1] : null;
};

/** New runs as the JSON that `json_to_recordset` turns into rows of `runtime.runs`. */
const newRunRecordset = (runs: readonly NewRunRow[]) =>
  storableJson(
    runs.map((run) => ({
      id: run.id,
      workspace_slug: run.workspace,
      trigger_id: run.triggerId,
      function_id: run.functionId,
      execution_params: run.executionParams ?? {},
      requested_by: run.requestedBy,
      traceparent: run.traceparent ?? null,
    })),
  );

/**
 * One attempt's outcome as the JSON that `json_to_recordset` reads when a run finishes or goes back to queued for
 * a retry (each statement takes the columns it names).
 */
const attemptRecord = (run: RunKey, attempt: number, functionVersion: number | null, outcome: SandboxResult) => ({
  id: run.jobId,
  attempt,
  status: outcome.status,
  result: outcome.result === undefined ? null : outcome.result,
  error: outcome.error ?? null,
  logs: outcome.logs,
  logs_truncated: outcome.logsTruncated,
  steps: outcome.steps,
  function_version: functionVersion,
  duration_ms: outcome.durationMs,
  cpu_time_ms: outcome.cpuTimeMs,
});

/** The run list's filters (and a bulk job's) as SQL over `runtime.runs`, always within one workspace. */
function runFilter(
  workspace: string,
  query: Pick<ListRunsRequest, 'jobId' | 'triggerId' | 'triggerIds' | 'functionId' | 'status' | 'from' | 'to'>,
): { condition: string; params: unknown[] } {
  const filters: string[] = ['workspace_slug = $1'];
  const params: unknown[] = [workspace];
  const where = (condition: (placeholder: string) => string, value: unknown) => {
    if (value === undefined) return;
    params.push(value);
    filters.push(condition(`$${params.length}`));
  };
  where((p) => `id = ${p}`, query.jobId);
  where((p) => `trigger_id = ${p}`, query.triggerId);
  where((p) => `trigger_id = ANY(${p}::uuid[])`, query.triggerIds);
  where((p) => `function_id = ${p}`, query.functionId);
  where((p) => `status = ${p}`, query.status);
  where((p) => `queued_at >= ${p}`, query.from);
  where((p) => `queued_at < ${p}`, query.to);
  return { condition: filters.join(' AND '), params };
}

/**
 * Where a bulk job has got to: the last run it looked at, in (`queued_at`, `id`) order. `queuedAt` is Postgres's
 * own text of the timestamp: microseconds, which a JavaScript Date would cut to milliseconds.
 */
export interface BulkCursor {
  readonly queuedAt: string;
  readonly id: string;
}

/** A sleeping run just woken: queued again for `attempt` (the one it slept in). */
export interface WokenRun {
  readonly jobId: string;
  readonly workspace: string;
  readonly triggerId: string;
  readonly functionId: string;
  readonly attempt: number;
  /** The trace of the work that recorded the run: its next attempt continues it. */
  readonly traceparent: string | null;
}

/** `claimed`: run it. `busy`: another live runtime has it, look again later. `done`: nothing to do. */
export type ClaimOutcome =
  | { readonly kind: 'claimed'; readonly run: FunctionRun; readonly flow: FlowState }
  | { readonly kind: 'busy'; readonly retryInMs: number }
  | { readonly kind: 'done' };

/** The only code that touches `runtime.runs`. Every read is scoped by workspace. */
@Injectable()
export class RunRepository {
  constructor(
    private readonly database: Database,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Records a queued run and its queue message in the outbox, in one transaction: the run is accepted when it
   * commits, and its message will be published even if this process dies next. A second insert of the same
   * id, a retried request, changes nothing. Answers whether it inserted.
   */
  insert(run: NewRunRow, message: OutboxMessage): Promise<boolean> {
    return this.enqueues.submit({ run: withTrace(run), message: Outbox.traced(message) });
  }

  /** Runs enqueued together share one transaction (`insert`); the outbox entry of each goes with its run. */
  private readonly enqueues = new MicroBatcher<{ run: NewRunRow; message: OutboxMessage }, boolean>(
    async (items) => {
      // An id twice in one batch (a retried request racing its original) is inserted for the first caller only.
      const first = new Map<string, (typeof items)[number]>();
      for (const item of items) if (!first.has(item.run.id)) first.set(item.run.id, item);
      const ids = [...first.keys()];
      const rows = await this.insertOnce(ids, (manager) =>
        manager.query<Array<{ id: string }>>(
          `WITH run AS (
             INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, execution_params,
                                       requested_by, attempt, traceparent)
             SELECT x.id, x.workspace_slug, x.trigger_id, x.function_id, 'queued', x.execution_params, x.requested_by, 0,
                    x.traceparent
               FROM json_to_recordset($1::json) AS x(id uuid, workspace_slug text, trigger_id uuid, function_id uuid,
                                                     execution_params json, requested_by text, traceparent text)
              WHERE x.id NOT IN (SELECT r.id FROM runtime.runs r WHERE r.id = ANY($3::uuid[]))
             RETURNING id
           ), handoff AS (
             INSERT INTO runtime.outbox (msg_id, subject, body, traceparent)
             SELECT m.msg_id, m.subject, m.body, m.traceparent
               FROM jsonb_to_recordset($2::jsonb) AS m(run_id uuid, msg_id text, subject text, body jsonb,
                                                       traceparent text)
               JOIN run ON run.id = m.run_id
           )
           SELECT id FROM run`,
          [
            newRunRecordset([...first.values()].map(({ run }) => run)),
            storableJson(
              [...first.values()].map(({ run, message }) => ({
                run_id: run.id,
                msg_id: message.msgId,
                subject: message.subject,
                body: message.body,
                traceparent: message.traceparent ?? null,
              })),
            ),
            ids,
          ],
        ),
      );
      const inserted = new Set(rows.map((row) => row.id));
      return items.map((item) => first.get(item.run.id) === item && inserted.has(item.run.id));
    },
    ...GROUP_COMMIT,
  );

  /**
   * Records and claims a run dispatched without a row (router, scheduler): inserted as running, attempt 1,
   * with a lease. Answers null when the run exists already (a redelivered message); `claim` then decides.
   * Runs arriving together share one statement.
   */
  insertClaimed(run: NewRunRow, leaseMs: number): Promise<FunctionRun | null> {
    return this.inserts.submit({ run: withTrace(run), leaseMs });
  }

  private readonly inserts = new MicroBatcher<{ run: NewRunRow; leaseMs: number }, FunctionRun | null>(
    async (items) => {
      // An id twice in one batch (a redelivery racing its original) is claimed by the first caller only.
      const first = new Map<string, (typeof items)[number]>();
      for (const item of items) if (!first.has(item.run.id)) first.set(item.run.id, item);
      const insertRows = (manager: EntityManager) =>
        manager.query<RunRow[]>(
          `INSERT INTO runtime.runs (id, workspace_slug, trigger_id, function_id, status, execution_params, requested_by,
                                     attempt, started_at, lease_until, traceparent)
           SELECT x.id, x.workspace_slug, x.trigger_id, x.function_id, 'running', x.execution_params, x.requested_by,
                  1, now(), now() + make_interval(secs => $2::double precision / 1000), x.traceparent
             FROM json_to_recordset($1::json) AS x(id uuid, workspace_slug text, trigger_id uuid, function_id uuid,
                                                   execution_params json, requested_by text, traceparent text)
            WHERE x.id NOT IN (SELECT r.id FROM runtime.runs r WHERE r.id = ANY($3::uuid[]))
           RETURNING *`,
          [newRunRecordset([...first.values()].map(({ run }) => run)), items[0].leaseMs, [...first.keys()]],
        );
      // The run's message stays unacknowledged on EXECUTIONS until its outcome (or its retry) is recorded, and that
      // commit waits for the flush, of this row too (WAL is written in order). Should Postgres crash before, the
      // message comes back and records the run again, as it would run it again with the row kept.
      const rows = await this.insertOnce([...first.keys()], insertRows, { waitForFlush: false });
      const inserted = new Map(rows.map((row) => [row.id, row]));
      return items.map((item) => {
        const row = first.get(item.run.id) === item ? inserted.get(item.run.id) : undefined;
        return row ? toRun(row) : null;
      });
    },
    ...GROUP_COMMIT,
  );

  /** `insert` under locks on the run ids: see insertEachIdOnce (no unique index spans the days' partitions). */
  private insertOnce<T>(
    ids: readonly string[],
    insert: (manager: EntityManager) => Promise<T>,
    options?: InsertOptions,
  ): Promise<T> {
    return insertEachIdOnce(this.database.source, RUN_ID_LOCK_CLASS, ids, insert, options);
  }

  /** A run's status, or null when there is no such run. */
  async statusOf(workspace: string, id: string): Promise<RunStatus | null> {
    const row = await this.byId<{ status: RunStatus }>('status', workspace, id);
    return row?.status ?? null;
  }

  /**
   * One run by id, looked for in the recent days' partitions first (where nearly every look-up finds it, and
   * which the planner prunes to), then in the older ones.
   */
  private async byId<T>(columns: string, workspace: string, id: string): Promise<T | null> {
    const recent = recentDays();
    const [row] = await this.database.source.query<T[]>(
      `SELECT ${columns} FROM runtime.runs WHERE id = $1 AND workspace_slug = $2 AND queued_at >= $3`,
      [id, workspace, recent],
    );
    if (row) return row;
    const [older] = await this.database.source.query<T[]>(
      `SELECT ${columns} FROM runtime.runs WHERE id = $1 AND workspace_slug = $2 AND queued_at < $3`,
      [id, workspace, recent],
    );
    return older ?? null;
  }

  /**
   * The conditional claim before user code runs: only a queued run, or a running one whose lease has
   * expired (its runtime died), is taken; a redelivered message for a run in progress or done claims nothing.
   */
  async claim(id: string, workspace: string, leaseMs: number): Promise<ClaimOutcome> {
    const recent = recentDays();
    // Nearly every claim finds its run queued in the recent days' partitions: those share one statement.
    const row = await this.claims.submit({ id, workspace, leaseMs });
    if (row) return claimed(row);
    const take = async (days: string) => {
      const [rows] = await this.database.source.query<[RunRow[], number]>(
        `UPDATE runtime.runs
            SET status = 'running', attempt = attempt + 1, started_at = now(),
                lease_until = now() + make_interval(secs => $3::double precision / 1000)
          WHERE id = $1 AND workspace_slug = $2 AND ${days}
            AND ((status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= now()))
                 OR (status = 'running' AND lease_until < now()))
        RETURNING *`,
        [id, workspace, leaseMs, recent],
      );
      return rows[0] ? claimed(rows[0]) : null;
    };
    const current = await this.byId<{
      status: RunStatus;
      lease_ms: number | null;
      due_ms: number | null;
      old: boolean;
    }>(
      `status, (extract(epoch FROM lease_until - now()) * 1000)::int AS lease_ms,
       (extract(epoch FROM next_attempt_at - now()) * 1000)::int AS due_ms, queued_at < $3 AS old`,
      workspace,
      id,
    );
    if (!current) return { kind: 'done' };
    const takeable =
      (current.status === 'queued' && (current.due_ms ?? 0) <= 0) ||
      (current.status === 'running' && (current.lease_ms ?? 0) < 0);
    if (current.old && takeable) {
      const taken = await take('queued_at < $4');
      if (taken) return taken;
    }
    if (current.status === 'running') return { kind: 'busy', retryInMs: Math.max(500, (current.lease_ms ?? 0) + 500) };
    // A retry that is not due yet (a message redelivered early): come back when it is.
    if (current.status === 'queued') return { kind: 'busy', retryInMs: Math.max(50, current.due_ms ?? 0) };
    return { kind: 'done' };
  }

  /** The claims of one moment in the recent days' partitions, in one statement (`claim`'s first step). */
  private readonly claims = new MicroBatcher<{ id: string; workspace: string; leaseMs: number }, RunRow | null>(
    async (items) => {
      // An id twice in one batch (a redelivery racing its original) may be taken by the first caller only.
      const first = new Map<string, (typeof items)[number]>();
      for (const item of items) if (!first.has(item.id)) first.set(item.id, item);
      const [rows] = await this.database.source.query<[RunRow[], number]>(
        `UPDATE runtime.runs r
            SET status = 'running', attempt = r.attempt + 1, started_at = now(),
                lease_until = now() + make_interval(secs => $3::double precision / 1000)
           FROM json_to_recordset($1::json) AS x(id uuid, workspace_slug text)
          WHERE r.id = x.id AND r.workspace_slug = x.workspace_slug AND r.id = ANY($2::uuid[]) AND r.queued_at >= $4
            AND ((r.status = 'queued' AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= now()))
                 OR (r.status = 'running' AND r.lease_until < now()))
        RETURNING r.*`,
        [
          storableJson([...first.values()].map(({ id, workspace }) => ({ id, workspace_slug: workspace }))),
          [...first.keys()],
          items[0].leaseMs,
          recentDays(),
        ],
      );
      const claimed = new Map(rows.map((row) => [row.id, row]));
      return items.map((item) => (first.get(item.id) === item ? (claimed.get(item.id) ?? null) : null));
    },
    ...GROUP_COMMIT,
  );

  /**
   * The heartbeat of an attempt in progress: its runtime is alive, keep the lease. Answers whether this attempt is
   * still the one running: not when the run was cancelled, nor when its lease lapsed (a runtime that stalled) and
   * another runtime took the run over as its next attempt.
   */
  async renewLease(run: RunKey, attempt: number, leaseMs: number): Promise<boolean> {
    const [, renewed] = await this.database.source.query<[unknown[], number]>(
      `UPDATE runtime.runs SET lease_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE id = $1 AND status = 'running' AND attempt = $3 AND queued_at >= $4 AND queued_at < $5`,
      [run.jobId, leaseMs, attempt, ...daysOf([run])],
    );
    return renewed > 0;
  }

  /**
   * Records the outcome of a running run; answers false when it was not running (another runtime finished
   * it). Outcomes recorded together share one statement.
   */
  finish(run: RunKey, attempt: number, functionVersion: number | null, outcome: SandboxResult): Promise<boolean> {
    return this.finishes.submit({ run, attempt, functionVersion, outcome });
  }

  private readonly finishes = new MicroBatcher<
    { run: RunKey; attempt: number; functionVersion: number | null; outcome: SandboxResult },
    boolean
  >(
    async (items) => {
      // Two outcomes of one run in one batch (they raced): the first caller's is recorded, and only it answers true.
      const first = new Map<string, (typeof items)[number]>();
      for (const item of items) if (!first.has(item.run.jobId)) first.set(item.run.jobId, item);
      const rows = await this.database.source.query<Array<{ id: string }>>(
        `WITH done AS (
           UPDATE runtime.runs r
              SET status = x.status, result = x.result, error = x.error, logs = x.logs, logs_truncated = x.logs_truncated,
                  steps = x.steps, function_version = x.function_version, finished_at = now(),
                  duration_ms = x.duration_ms, cpu_time_ms = x.cpu_time_ms, lease_until = NULL, next_attempt_at = NULL,
                  waiting_for = NULL, ${APPEND_ATTEMPT}
             FROM json_to_recordset($1::json) AS x(id uuid, attempt integer, status text, result json, error jsonb,
                                                   logs jsonb, logs_truncated boolean, steps jsonb,
                                                   function_version integer, duration_ms integer, cpu_time_ms integer)
            WHERE r.id = x.id AND r.id = ANY($2::uuid[]) AND r.queued_at >= $3 AND r.queued_at < $4
              AND r.status = 'running' AND r.attempt = x.attempt
           RETURNING r.id
         ), ${FREE_SLOTS('done')}
         SELECT id FROM done`,
        [
          storableJson(
            [...first.values()].map(({ run, attempt, functionVersion, outcome }) =>
              attemptRecord(run, attempt, functionVersion, outcome),
            ),
          ),
          [...first.keys()],
          ...daysOf(items.map(({ run }) => run)),
        ],
      );
      const updated = new Set(rows.map((row) => row.id));
      return items.map((item) => first.get(item.run.jobId) === item && updated.has(item.run.jobId));
    },
    ...GROUP_COMMIT,
  );

  /**
   * A failed attempt that the trigger's retry policy retries: the run goes back to `queued` until `delayMs` has
   * passed, keeping the attempt, its error and its steps (the next attempt reuses the completed ones). Answers
   * false when the run was not running (another runtime finished it).
   */
  async scheduleRetry(
    run: RunKey,
    attempt: number,
    functionVersion: number | null,
    outcome: SandboxResult,
    delayMs: number,
  ): Promise<boolean> {
    const rows = await this.database.source.query<Array<{ id: string }>>(
      `WITH done AS (
         UPDATE runtime.runs r
            SET status = 'queued', error = x.error, logs = x.logs, logs_truncated = x.logs_truncated, steps = x.steps,
                function_version = x.function_version, lease_until = NULL, waiting_for = NULL,
                next_attempt_at = now() + make_interval(secs => $2::double precision / 1000),
                ${APPEND_ATTEMPT}
           FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, attempt integer, status text, error jsonb, logs jsonb,
                                                   logs_truncated boolean, steps jsonb, function_version integer,
                                                   duration_ms integer)
          WHERE r.id = x.id AND r.id = $3::uuid AND r.queued_at >= $4 AND r.queued_at < $5
            AND r.status = 'running' AND r.attempt = x.attempt
         RETURNING r.id
       ), ${FREE_SLOTS('done')}
       SELECT id FROM done`,
      [storableJson([attemptRecord(run, attempt, functionVersion, outcome)]), delayMs, run.jobId, ...daysOf([run])],
    );
    return rows.length === 1;
  }

  /**
   * `POST /function-runs/{id}/retry`: a RETRYABLE run is queued again (a new attempt, reusing its completed steps),
   * with its message in the outbox in the same statement. The retry is a unit of work of its own: the run continues
   * the retry request's trace from here (tracing on). `message` makes the message of the run as read (its next
   * attempt). Answers the run as requeued (with the message written) or as it is, or null when there is none.
   */
  async requeue(
    workspace: string,
    id: string,
    message: (run: FunctionRun) => OutboxMessage,
  ): Promise<
    { run: FunctionRun; requeued: true; message: OutboxMessage } | { run: FunctionRun; requeued: false } | null
  > {
    const found = await this.find(workspace, id);
    if (!found) return null;
    const { run } = found;
    if (run.status !== 'failed' && run.status !== 'timed_out' && run.status !== 'cancelled') {
      return { run, requeued: false };
    }
    const next = message(run);
    const rows = await this.database.source.query<RunRow[]>(
      `WITH requeued AS (
         UPDATE runtime.runs SET ${REQUEUED}, traceparent = COALESCE($7::text, traceparent)
          WHERE workspace_slug = $1 AND id = $2 AND ${RETRYABLE} AND attempt = $3
            AND queued_at >= $5 AND queued_at < $6
         RETURNING *
       ), handoff AS (
         INSERT INTO runtime.outbox (msg_id, subject, body, traceparent)
         SELECT m.msg_id, m.subject, m.body, m.traceparent
           FROM requeued, jsonb_to_recordset($4::jsonb) AS m(msg_id text, subject text, body jsonb, traceparent text)
         ON CONFLICT (msg_id) DO NOTHING
       )
       SELECT * FROM requeued`,
      [workspace, id, run.attempt, Outbox.entries([next]), ...daysOf([run]), activeTraceparent() ?? null],
    );
    if (rows[0]) return { run: toRun(rows[0]), requeued: true, message: next };
    // Changed since it was read (a retry racing this one): answer it as it is now.
    const now = await this.find(workspace, id);
    return now ? { run: now.run, requeued: false } : null;
  }

  /**
   * `POST /function-runs/{id}/cancel`: a queued (or retry-waiting) or running run becomes `cancelled`, final. The
   * statement is conditional, like every outcome's: a cancel racing a finish leaves one of them, never both. Answers
   * the run as cancelled now or as it is, or null when there is none.
   */
  async cancel(workspace: string, id: string): Promise<{ run: FunctionRun; cancelled: boolean } | null> {
    const found = await this.find(workspace, id);
    if (!found) return null;
    const { run } = found;
    if (run.status !== 'queued' && run.status !== 'running' && run.status !== 'sleeping') {
      return { run, cancelled: false };
    }
    const rows = await this.database.source.query<RunRow[]>(
      `WITH done AS (
         UPDATE runtime.runs
            SET ${CANCELLED}
          WHERE workspace_slug = $1 AND id = $2 AND status IN ('queued', 'running', 'sleeping')
            AND queued_at >= $3 AND queued_at < $4
        RETURNING *
       ), ${FREE_SLOTS_AND_PLACES('done')}
       SELECT * FROM done`,
      [workspace, id, ...daysOf([run])],
    );
    if (rows[0]) return { run: toRun(rows[0]), cancelled: true };
    // Finished (or cancelled) since it was read: answer it as it is now.
    const now = await this.find(workspace, id);
    return now ? { run: now.run, cancelled: false } : null;
  }

  /**
   * A cancelled attempt has left its sandbox: its lease is let go, and the run may be retried (RETRYABLE). Only
   * that attempt's: a retry's next attempt keeps its own.
   */
  async stopped(run: RunKey, attempt: number): Promise<void> {
    await this.database.source.query(
      `UPDATE runtime.runs SET lease_until = NULL
        WHERE id = $1 AND status = 'cancelled' AND attempt = $2 AND lease_until IS NOT NULL
          AND queued_at >= $3 AND queued_at < $4`,
      [run.jobId, attempt, ...daysOf([run])],
    );
  }

  /**
   * `api.sleep`: the running run is suspended until `wakeAt`, its steps (the sleep among them) recorded for the
   * attempt that wakes it, which keeps its number (a sleep is not an attempt). Its concurrency slot is freed in the
   * same statement. Answers false when it was not running (cancelled meanwhile).
   */
  async sleep(
    run: RunKey,
    attempt: number,
    functionVersion: number | null,
    outcome: SandboxResult,
    wakeAt: Date,
  ): Promise<boolean> {
    const wait: StoredWait = { reason: 'sleep', key: '', until: wakeAt.toISOString() };
    const rows = await this.database.source.query<Array<{ id: string }>>(
      `WITH done AS (
         UPDATE runtime.runs r
            SET status = 'sleeping', attempt = r.attempt - 1, sleeps = r.sleeps + 1, logs = x.logs,
                logs_truncated = x.logs_truncated,
                steps = x.steps, function_version = x.function_version, lease_until = NULL, next_attempt_at = $2,
                waiting_for = $3::jsonb, flow_stage = GREATEST(r.flow_stage, 2)
           FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, attempt integer, logs jsonb, logs_truncated boolean,
                                                   steps jsonb, function_version integer)
          WHERE r.id = x.id AND r.id = $4::uuid AND r.queued_at >= $5 AND r.queued_at < $6
            AND r.status = 'running' AND r.attempt = x.attempt
         RETURNING r.id
       ), ${FREE_SLOTS('done')}
       SELECT id FROM done`,
      [
        storableJson([attemptRecord(run, attempt, functionVersion, outcome)]),
        wakeAt,
        storableJson(wait),
        run.jobId,
        ...daysOf([run]),
      ],
    );
    return rows.length === 1;
  }

  /**
   * Runs whose wait is over (asleep, or held back by a throttle or a debounce: `waiting_for` with a due time) are
   * published again: a sleeping one is queued again; a held-back one keeps its `waiting_for` (the gate reads why it
   * waited), marked `woken` so it is published once. Each with its message in the outbox, in one transaction
   * (`FOR UPDATE SKIP LOCKED`: every replica's waker can look at once, and each run wakes once). Answers the runs
   * and their messages, to send once it commits.
   */
  async wakeDue(
    max: number,
    message: (run: WokenRun) => OutboxMessage,
  ): Promise<Array<{ run: WokenRun; message: OutboxMessage }>> {
    return this.database.source.transaction('READ COMMITTED', async (manager) => {
      // An UPDATE answers [rows, count].
      const [rows] = await manager.query<
        [
          Array<{
            id: string;
            workspace_slug: string;
            trigger_id: string;
            function_id: string;
            attempt: number;
            traceparent: string | null;
          }>,
          number,
        ]
      >(
        `WITH due AS (
           SELECT id, queued_at FROM runtime.runs
            WHERE waiting_for IS NOT NULL AND next_attempt_at IS NOT NULL AND next_attempt_at <= now()
              AND status IN ('sleeping', 'queued') AND NOT (waiting_for ? 'woken')
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         UPDATE runtime.runs r
            SET status = 'queued',
                waiting_for = CASE WHEN r.status = 'sleeping' THEN NULL ELSE r.waiting_for || '{"woken": true}' END,
                next_attempt_at = CASE WHEN r.status = 'sleeping' THEN NULL ELSE r.next_attempt_at END
           FROM due WHERE r.id = due.id AND r.queued_at = due.queued_at AND r.status IN ('sleeping', 'queued')
         RETURNING r.id, r.workspace_slug, r.trigger_id, r.function_id, r.attempt, r.traceparent`,
        [max],
      );
      const woken = rows.map((row) => {
        const run: WokenRun = {
          jobId: row.id,
          workspace: row.workspace_slug,
          triggerId: row.trigger_id,
          functionId: row.function_id,
          attempt: row.attempt + 1,
          traceparent: row.traceparent,
        };
        return { run, message: message(run) };
      });
      await this.outbox.write(
        manager,
        woken.map(({ message: m }) => m),
      );
      return woken;
    });
  }

  /** How many runs a bulk job's filter matches among those queued until `untilQueuedAt`. */
  async countMatching(
    workspace: string,
    filter: Parameters<typeof runFilter>[1],
    untilQueuedAt: string,
  ): Promise<number> {
    const { condition, params } = runFilter(workspace, filter);
    params.push(untilQueuedAt);
    const [{ total }] = await this.database.source.query<Array<{ total: number }>>(
      `SELECT count(*)::int AS total FROM runtime.runs WHERE ${condition}
          AND queued_at <= $${params.length}::timestamptz`,
      params,
    );
    return total;
  }

  /** The next page of a bulk job's runs after its cursor, in (`queued_at`, `id`) order, in its transaction. */
  async pageAfter(
    manager: EntityManager,
    workspace: string,
    filter: Parameters<typeof runFilter>[1],
    cursor: BulkCursor | null,
    untilQueuedAt: string,
    limit: number,
  ): Promise<BulkCursor[]> {
    const { condition, params } = runFilter(workspace, filter);
    params.push(untilQueuedAt);
    let after = ` AND queued_at <= $${params.length}::timestamptz`;
    if (cursor) {
      params.push(cursor.queuedAt, cursor.id);
      // The plain bound too: with it the planner skips the days (partitions) the job has done.
      after += ` AND queued_at >= $${params.length - 1}::timestamptz
        AND (queued_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(limit);
    const rows = await manager.query<Array<{ id: string; queued_at: string }>>(
      `SELECT id, queued_at::text AS queued_at FROM runtime.runs WHERE ${condition}${after}
        ORDER BY queued_at, id LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({ id: row.id, queuedAt: row.queued_at }));
  }

  /** A bulk cancel's page: its queued and running runs become cancelled (the rest are skipped). */
  async cancelPage(manager: EntityManager, workspace: string, page: readonly BulkCursor[]): Promise<FunctionRun[]> {
    if (page.length === 0) return [];
    const rows = await manager.query<RunRow[]>(
      `WITH done AS (
         UPDATE runtime.runs
            SET ${CANCELLED}
          WHERE workspace_slug = $1 AND id = ANY($2::uuid[]) AND status IN ('queued', 'running', 'sleeping')
            AND queued_at >= $3::timestamptz AND queued_at <= $4::timestamptz
        RETURNING *
       ), ${FREE_SLOTS_AND_PLACES('done')}
       SELECT * FROM done`,
      [workspace, page.map((run) => run.id), page[0].queuedAt, page.at(-1)!.queuedAt],
    );
    return rows.map(toRun);
  }

  /**
   * A bulk retry's page: its RETRYABLE runs are queued again (as `requeue` does one), each with its message in the
   * outbox in the same transaction (the rest are skipped).
   */
  async requeuePage(
    manager: EntityManager,
    workspace: string,
    page: readonly BulkCursor[],
    message: (run: FunctionRun) => OutboxMessage,
  ): Promise<{ runs: FunctionRun[]; messages: OutboxMessage[] }> {
    if (page.length === 0) return { runs: [], messages: [] };
    const [rows] = await manager.query<[RunRow[], number]>(
      `UPDATE runtime.runs SET ${REQUEUED}, traceparent = COALESCE($5::text, traceparent)
        WHERE workspace_slug = $1 AND id = ANY($2::uuid[]) AND ${RETRYABLE}
          AND queued_at >= $3::timestamptz AND queued_at <= $4::timestamptz
      RETURNING *`,
      [workspace, page.map((run) => run.id), page[0].queuedAt, page.at(-1)!.queuedAt, activeTraceparent() ?? null],
    );
    const runs = rows.map(toRun);
    const messages = runs.map(message);
    await this.outbox.write(manager, messages);
    return { runs, messages };
  }

  /**
   * A flow-control gate holds a claimed run back: it is queued again (the claim's attempt undone), waiting for
   * `wait.reason`, due at `due` (or when admitted), with how far it got through the gates. In the gate's
   * transaction. Answers false when it was not running any more (cancelled).
   */
  async park(
    manager: EntityManager,
    run: RunKey & Pick<FunctionRun, 'attempt'>,
    wait: StoredWait,
    due: Date | null,
    stage: number,
  ): Promise<boolean> {
    const [, parked] = await manager.query<[unknown[], number]>(
      `UPDATE runtime.runs
          SET status = 'queued', attempt = attempt - 1, started_at = NULL, lease_until = NULL, next_attempt_at = $3,
              waiting_for = $4::jsonb, flow_stage = $5
        WHERE id = $1 AND status = 'running' AND attempt = $2 AND queued_at >= $6 AND queued_at < $7`,
      [run.jobId, run.attempt, due, storableJson(wait), stage, ...daysOf([run])],
    );
    return parked > 0;
  }

  /**
   * Debounce: a run is replaced by another of its key with a later input. It becomes `cancelled` (error `Debounced`,
   * naming the run that replaced it) if it is still where the gate found it: waiting out its quiet period, or (a
   * run claimed after the one queued later than it) running this `attempt`. Answers it then.
   */
  async supersede(
    manager: EntityManager,
    run: RunKey,
    by: string,
    where: { readonly waiting: true } | { readonly runningAttempt: number },
  ): Promise<FunctionRun | null> {
    const still =
      'waiting' in where
        ? `status = 'queued' AND waiting_for->>'reason' = 'debounce'`
        : `status = 'running' AND attempt = ${Number(where.runningAttempt)}`;
    const [rows] = await manager.query<[RunRow[], number]>(
      `UPDATE runtime.runs
          SET status = 'cancelled', finished_at = now(), lease_until = NULL, next_attempt_at = NULL, waiting_for = NULL,
              result = NULL, error = jsonb_build_object('name', '${DEBOUNCED}', 'message', $2::text)
        WHERE id = $1 AND ${still} AND queued_at >= $3 AND queued_at < $4
      RETURNING *`,
      [run.jobId, `a later run of the same debounce key replaced this one: ${by}`, ...daysOf([run])],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** Throttle: the run starts now (the gate's clock), which is the start the next ones are counted from. */
  async startedAt(manager: EntityManager, run: RunKey, at: Date): Promise<void> {
    await manager.query(
      `UPDATE runtime.runs SET started_at = $2 WHERE id = $1 AND status = 'running' AND queued_at >= $3 AND queued_at < $4`,
      [run.jobId, at, ...daysOf([run])],
    );
  }

  /**
   * Concurrency: runs given a slot wait for nothing any more (their messages are on the way). Answers those still
   * queued (a run cancelled meanwhile is not given its slot), with the trace each continues.
   */
  async admitted(manager: EntityManager, runs: readonly RunKey[]): Promise<Map<string, string | null>> {
    if (runs.length === 0) return new Map();
    const [rows] = await manager.query<[Array<{ id: string; traceparent: string | null }>, number]>(
      `UPDATE runtime.runs SET waiting_for = NULL
        WHERE id = ANY($1::uuid[]) AND status = 'queued' AND queued_at >= $2 AND queued_at < $3
      RETURNING id, traceparent`,
      [runs.map((run) => run.jobId), ...daysOf(runs)],
    );
    return new Map(rows.map((row) => [row.id, row.traceparent]));
  }

  async find(workspace: string, id: string): Promise<{ run: FunctionRun; logs: FunctionRunLogs } | null> {
    const row = await this.byId<RunRow>('*', workspace, id);
    return row ? { run: toRun(row), logs: { jobId: row.id, logs: row.logs, truncated: row.logs_truncated } } : null;
  }

  async list(
    workspace: string,
    query: Omit<ListRunsRequest, 'workspace'>,
  ): Promise<{ runs: FunctionRunSummary[]; total: number }> {
    const { condition, params } = runFilter(workspace, query);
    const [{ total }] = await this.database.source.query<Array<{ total: number }>>(
      `SELECT count(*)::int AS total FROM runtime.runs WHERE ${condition}`,
      params,
    );
    params.push(query.limit, (query.page - 1) * query.limit);
    const rows = await this.database.source.query<SummaryRow[]>(
      `SELECT ${SUMMARY_COLUMNS} FROM runtime.runs WHERE ${condition}
        ORDER BY queued_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return { runs: rows.map(toSummary), total };
  }

  /** Runs of these functions queued since `since`, counted by function and status. */
  async countByFunction(
    workspace: string,
    functionIds: readonly string[],
    since: string,
  ): Promise<Array<{ functionId: string; status: RunStatus; count: number }>> {
    const rows = await this.database.source.query<Array<{ function_id: string; status: RunStatus; count: number }>>(
      `SELECT function_id, status, count(*)::int AS count FROM runtime.runs
        WHERE workspace_slug = $1 AND function_id = ANY($2::uuid[]) AND queued_at >= $3
        GROUP BY function_id, status`,
      [workspace, functionIds, since],
    );
    return rows.map((row) => ({ functionId: row.function_id, status: row.status, count: row.count }));
  }
}
