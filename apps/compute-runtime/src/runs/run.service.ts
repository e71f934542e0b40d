import { Injectable, Logger } from '@nestjs/common';
import {
  type EnqueueRunReply,
  type EnqueueRunRequest,
  type ExecRequest,
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
  Subjects,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

import { RunRepository } from './run.repository';

/** The run record's front door: enqueue (row first, then the durable message), read, list. */
@Injectable()
export class RunService {
  private readonly logger = new Logger(RunService.name);

  constructor(
    private readonly runs: RunRepository,
    private readonly nats: NatsClient,
  ) {}

  /**
   * The row is written before the message, so the jobId is readable the moment it is returned; the
   * message carries `Nats-Msg-Id` = runId, so a retried request is de-duplicated by JetStream too. A re-drive
   * (the caller retried with the same Idempotency-Key after an answer it did not get) queues the run again
   * only if it never started.
   */
  async enqueue(request: EnqueueRunRequest): Promise<EnqueueRunReply> {
    const inserted = await this.runs.insert({
      id: request.runId,
      workspace: request.workspace,
      triggerId: request.triggerId,
      functionId: request.functionId,
      executionParams: request.executionParams,
      requestedBy: request.requestedBy,
    });
    if (!inserted) {
      // Known already: started or finished runs are left alone; a queued one is published again on a re-drive
      // (the earlier attempt may have died between its row and its message).
      const status = await this.runs.statusOf(request.workspace, request.runId);
      if (status !== 'queued' || !request.redrive) return { jobId: request.runId, status: status ?? 'queued' };
    }
    const message: ExecRequest = request.redrive
      ? this.withRun(request)
      : { runId: request.runId, workspace: request.workspace };
    try {
      await this.nats.publish(Subjects.execRequest(request.workspace, request.functionId), message, {
        msgID: request.redrive ? `${request.runId}.redrive.${Date.now()}` : request.runId,
      });
    } catch (error) {
      if (inserted) await this.runs.delete(request.runId).catch(() => undefined);
      this.logger.warn(`could not queue run ${request.runId}: ${String(error)}`);
      throw error;
    }
    if (inserted) {
      const { runId: jobId, triggerId, functionId, workspace } = request;
      this.nats.publishLive(workspace, liveRun({ jobId, triggerId, functionId, attempt: 1 }, 'queued'));
    }
    return { jobId: request.runId, status: 'queued' };
  }

  /**
   * A re-drive's message carries the run itself, as a dispatched run's does: should the earlier attempt that
   * this one races remove the row (its own publish failed late), the runtime records the run again from the
   * message instead of finding nothing to run. Unless that would not fit in one NATS message.
   */
  private withRun(request: EnqueueRunRequest): ExecRequest {
    const { runId, workspace, triggerId, functionId, executionParams, requestedBy } = request;
    const full: ExecRequest = { runId, workspace, run: { triggerId, functionId, executionParams, requestedBy } };
    return Buffer.byteLength(JSON.stringify(full)) <= this.nats.maxBodyBytes ? full : { runId, workspace };
  }

  /**
   * A failed (or timed-out) run queued again: its next attempt reuses the steps it completed. A new message on
   * EXECUTIONS, under its own id (`<runId>.retry.<attempt>`) so JetStream does not drop it as a duplicate.
   */
  async retry(request: GetRunRequest): Promise<RetryRunReply> {
    const { run, status } = await this.runs.requeue(request.workspace, request.runId);
    if (!run) return { refused: status === null ? 'NOT_FOUND' : 'INVALID_STATUS', status };
    const message: ExecRequest = { runId: run.jobId, workspace: run.workspaceSlug };
    await this.nats.publish(Subjects.execRequest(run.workspaceSlug, run.functionId), message, {
      msgID: `${run.jobId}.retry.${run.attempt + 1}`,
    });
    this.nats.publishLive(run.workspaceSlug, liveRun({ ...run, attempt: run.attempt + 1 }, 'queued'));
    return { jobId: run.jobId, status: 'queued', attempt: run.attempt + 1 };
  }

  get(request: GetRunRequest): Promise<RunWithLogs | null> {
    return this.runs.find(request.workspace, request.runId);
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
