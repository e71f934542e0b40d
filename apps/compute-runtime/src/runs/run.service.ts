import { Injectable } from '@nestjs/common';
import {
  type CancelRunReply,
  type EnqueueRunReply,
  type EnqueueRunRequest,
  type FunctionRunList,
  type FunctionRunStats,
  type GetRunRequest,
  type ListRunsRequest,
  liveRun,
  type RetryRunReply,
  type RunStatsRequest,
  type RunStatus,
  RunStatuses,
  type RunWithLogs,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';
import { Outbox } from '@signalbox/persistence';

import { ExecutionService } from '../execution/execution.service';
import { publishCancelled } from '../execution/run-cancel.listener';
import { FlowRepository } from '../flow/flow.repository';
import { FlowGate } from '../flow/flow-gate.service';
import { DEBOUNCED, RunRepository } from './run.repository';
import { retryMessage, runMessage } from './run-messages';

/** The run record's front door: enqueue (the row and its message in the outbox, together), read, list. */
@Injectable()
export class RunService {
  constructor(
    private readonly runs: RunRepository,
    private readonly nats: NatsClient,
    private readonly outbox: Outbox,
    private readonly execution: ExecutionService,
    private readonly gate: FlowGate,
    private readonly flows: FlowRepository,
  ) {}

  /**
   * The row is written with its message in the outbox, in one transaction: once that commits the run is
   * accepted, the jobId is readable, and the message goes out even if this process dies before it publishes
   * (another replica's outbox sweep does it). Nothing after the commit refuses the run. The message carries
   * `Nats-Msg-Id` = runId, so a second publish of it is dropped. A request for a run that exists already (the
   * caller retried with the same Idempotency-Key after an answer it did not get) answers its status.
   */
  async enqueue(request: EnqueueRunRequest): Promise<EnqueueRunReply> {
    const { runId, workspace, triggerId, functionId } = request;
    const message = runMessage(runId, workspace, functionId, runId);
    const inserted = await this.runs.insert(
      {
        id: runId,
        workspace,
        triggerId,
        functionId,
        executionParams: request.executionParams,
        requestedBy: request.requestedBy,
      },
      message,
    );
    if (!inserted) {
      const status = await this.runs.statusOf(workspace, runId);
      return { jobId: runId, status: status ?? 'queued' };
    }
    // Announced before the message goes out: a runtime may take the run, and say `running`, at once.
    this.nats.publishLive(workspace, liveRun({ jobId: runId, triggerId, functionId, attempt: 1 }, 'queued'));
    await this.outbox.send([message]);
    return { jobId: runId, status: 'queued' };
  }

  /**
   * A failed, timed-out or cancelled run queued again: its next attempt reuses the steps its attempts recorded. A new
   * message on EXECUTIONS through the outbox (`retryMessage`). Asked again while that retry is queued, it answers the
   * same retry. A run a debounce replaced is not retried (its input is stale), nor one cancelled while running until
   * its attempt has stopped (RETRYABLE).
   */
  async retry(request: GetRunRequest): Promise<RetryRunReply> {
    const found = await this.runs.requeue(request.workspace, request.runId, retryMessage);
    if (!found) return { refused: 'NOT_FOUND', status: null };
    const { run } = found;
    if (found.requeued) {
      this.nats.publishLive(run.workspaceSlug, liveRun({ ...run, attempt: run.attempt + 1 }, 'queued'));
      await this.outbox.send([found.message]);
    } else if (run.status === 'cancelled') {
      const why = run.error?.name === DEBOUNCED ? 'debounced' : 'stopping';
      return { refused: 'INVALID_STATUS', status: run.status, why };
    } else if (run.status !== 'queued' || run.nextAttemptAt === null) {
      return { refused: 'INVALID_STATUS', status: run.status };
    }
    // Requeued now, or by an earlier retry (its message is out, or in the outbox): the same answer.
    return { jobId: run.jobId, status: 'queued', attempt: run.attempt + 1 };
  }

  /**
   * A queued, retry-waiting or running run is cancelled: it never starts (its message, when it comes, finds it
   * final), or the runtime running it stops it in the sandbox. `function.cancelled` is announced, never
   * `function.failed`. Asked again, it answers the same; a run that finished first cannot be cancelled.
   */
  async cancel(request: GetRunRequest): Promise<CancelRunReply> {
    const found = await this.runs.cancel(request.workspace, request.runId);
    if (!found) return { refused: 'NOT_FOUND', status: null };
    const { run, cancelled } = found;
    if (!cancelled && run.status !== 'cancelled') return { refused: 'INVALID_STATUS', status: run.status };
    if (cancelled) {
      // Whichever replica runs it stops it; a lost notice is made up by that run's next heartbeat.
      publishCancelled(this.nats, run);
      this.nats.publishLive(run.workspaceSlug, liveRun(run, 'cancelled'));
      // Its concurrency slot, or its place in line, is free: the next run in line goes (or the keeper's pass does it).
      await this.gate.cancelled(run).catch(() => undefined);
    }
    // Announced again when asked again (a crash before it): the event id de-duplicates it. A caller waiting on
    // the run (an endpoint trigger's, its run waiting for a retry) hears of it too.
    await this.execution.announce(run.workspaceSlug, run.jobId, true);
    return { jobId: run.jobId, status: 'cancelled' };
  }

  /** A run with its logs; a run waiting for a concurrency slot also says its place in line. */
  async get(request: GetRunRequest): Promise<RunWithLogs | null> {
    const found = await this.runs.find(request.workspace, request.runId);
    const waitingFor = found?.run.waitingFor;
    if (!found || waitingFor?.reason !== 'concurrency') return found;
    const position = await this.flows.placeInLine(request.workspace, request.runId);
    return position === null ? found : { ...found, run: { ...found.run, waitingFor: { ...waitingFor, position } } };
  }

  async list(request: ListRunsRequest): Promise<FunctionRunList> {
    const { workspace, ...query } = request;
    const { runs, total } = await this.runs.list(workspace, query);
    return { runs, total, page: query.page, limit: query.limit };
  }

  async stats(request: RunStatsRequest): Promise<FunctionRunStats> {
    const counts = await this.runs.countByFunction(request.workspace, request.functionIds, request.since);
    const byFunction = new Map<string, FunctionRunStats['functions'][number]>();
    for (const { functionId, status, count } of counts) {
      // A status this build does not know (a newer replica's) is left out rather than counted as nothing.
      if (!RunStatuses.includes(status)) continue;
      let entry = byFunction.get(functionId);
      if (!entry) {
        const byStatus = Object.fromEntries(RunStatuses.map((s) => [s, 0])) as Record<RunStatus, number>;
        entry = { functionId, total: 0, byStatus };
        byFunction.set(functionId, entry);
      }
      entry.byStatus[status] += count;
      entry.total += count;
    }
    return { since: request.since, functions: [...byFunction.values()] };
  }
}
