import { Injectable, Logger } from '@nestjs/common';
import {
  type EnqueueRunReply,
  type EnqueueRunRequest,
  type ExecRequest,
  type FunctionRunList,
  type GetRunRequest,
  type InvokeReply,
  type InvokeRequest,
  type ListRunsRequest,
  type RunWithLogs,
  Subjects,
} from '@signalbox/contracts';
import { NatsClient } from '@signalbox/messaging';

import { ExecutionService } from '../execution/execution.service';
import { RunRepository } from './run.repository';

/** The run record's front door: enqueue (row first, then the durable message), read, list. */
@Injectable()
export class RunService {
  private readonly logger = new Logger(RunService.name);

  constructor(
    private readonly runs: RunRepository,
    private readonly nats: NatsClient,
    private readonly execution: ExecutionService,
  ) {}

  /**
   * The row is written before the message, so the jobId is readable the moment it is returned; the
   * message carries `Nats-Msg-Id` = runId, so a retried request is de-duplicated by JetStream too.
   */
  async enqueue(request: EnqueueRunRequest): Promise<EnqueueRunReply> {
    await this.runs.insert(
      {
        id: request.runId,
        workspace: request.workspace,
        triggerId: request.triggerId,
        functionId: request.functionId,
        executionParams: request.executionParams,
        requestedBy: request.requestedBy,
      },
      'queued',
    );
    const message: ExecRequest = { runId: request.runId, workspace: request.workspace };
    try {
      await this.nats.publish(Subjects.execRequest(request.workspace, request.functionId), message, {
        msgID: request.runId,
      });
    } catch (error) {
      await this.runs.delete(request.runId).catch(() => undefined);
      this.logger.warn(`could not queue run ${request.runId}: ${String(error)}`);
      throw error;
    }
    return { jobId: request.runId, status: 'queued' };
  }

  /**
   * A synchronous run (endpoint triggers): recorded as running from the start (no queue), executed at
   * once, announced, and answered inline. Recorded like every other run.
   */
  async invoke(request: InvokeRequest): Promise<InvokeReply> {
    const inserted = await this.runs.insert(
      {
        id: request.runId,
        workspace: request.workspace,
        triggerId: request.triggerId,
        functionId: request.functionId,
        executionParams: request.executionParams,
        requestedBy: request.requestedBy,
      },
      'running',
    );
    // A reused run id must not run a second time.
    if (!inserted) throw new Error(`run ${request.runId} exists already`);
    const { outcome, functionVersion } = await this.execution.execute(
      request.workspace,
      request.triggerId,
      request.functionId,
      request.runId,
      request.executionParams,
      request.timeoutMs,
    );
    await this.runs.finish(request.runId, functionVersion, outcome);
    await this.execution.announceOutcome(
      {
        jobId: request.runId,
        workspaceSlug: request.workspace,
        triggerId: request.triggerId,
        functionId: request.functionId,
        attempt: 1,
      },
      outcome,
    );
    return {
      jobId: request.runId,
      status: outcome.status,
      result: outcome.result ?? null,
      error: outcome.error ? { name: outcome.error.name, message: outcome.error.message } : null,
      durationMs: outcome.durationMs,
    };
  }

  get(request: GetRunRequest): Promise<RunWithLogs | null> {
    return this.runs.find(request.workspace, request.runId);
  }

  async list(request: ListRunsRequest): Promise<FunctionRunList> {
    const { workspace, ...query } = request;
    const { runs, total } = await this.runs.list(workspace, query);
    return { runs, total, page: query.page, limit: query.limit };
  }
}
