import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import {
  bulkJobId,
  type BulkRunJob,
  type CreateBulkRunJob,
  type FunctionRun,
  type FunctionRunList,
  type FunctionRunListQuery,
  type FunctionRunLogs,
  type FunctionRunStats,
  type FunctionRunStatsQuery,
  SignalboxError,
} from '@signalbox/contracts';

import type { Actor } from '../common/actor';
import { UUID } from '../common/list.repository';
import { FunctionTriggerRepository } from '../function-triggers/function-trigger.repository';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { assertIdempotencyKey, IDEMPOTENCY_WINDOW_HOURS } from '../idempotency/idempotency.service';
import { RuntimeClient } from './runtime.client';

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * An execution type is sent to the runtime as the list of the workspace's triggers of that type: beyond this many
 * the request would near NATS's message limit, and the caller is asked to narrow the filter instead.
 */
export const MAX_TRIGGERS_PER_TYPE_FILTER = 10_000;

const runNotFound = (id: string) => new SignalboxError('NOT_FOUND', `run ${id} not found`);
const bulkNotFound = (id: string) => new SignalboxError('NOT_FOUND', `bulk job ${id} not found`);

@Injectable()
export class FunctionRunService {
  constructor(
    private readonly runtime: RuntimeClient,
    private readonly triggers: FunctionTriggerRepository,
    private readonly idempotencyKeys: IdempotencyRepository,
  ) {}

  async get(actor: Actor, jobId: string): Promise<FunctionRun> {
    return (await this.find(actor, jobId)).run;
  }

  async logs(actor: Actor, jobId: string): Promise<FunctionRunLogs> {
    return (await this.find(actor, jobId)).logs;
  }

  async retry(actor: Actor, jobId: string): Promise<{ jobId: string; status: 'queued'; attempt: number }> {
    if (!UUID.test(jobId)) throw runNotFound(jobId);
    const reply = await this.runtime.retry({ workspace: actor.workspace, runId: jobId });
    if ('refused' in reply) {
      if (reply.refused === 'NOT_FOUND') throw runNotFound(jobId);
      throw new SignalboxError('INVALID_STATUS', retryRefusal(jobId, reply));
    }
    return reply;
  }

  async cancel(actor: Actor, jobId: string): Promise<{ jobId: string; status: 'cancelled' }> {
    if (!UUID.test(jobId)) throw runNotFound(jobId);
    const reply = await this.runtime.cancel({ workspace: actor.workspace, runId: jobId });
    if ('refused' in reply) {
      if (reply.refused === 'NOT_FOUND') throw runNotFound(jobId);
      throw new SignalboxError(
        'INVALID_STATUS',
        `only a queued or running run can be cancelled; run ${jobId} is ${reply.status}`,
      );
    }
    return reply;
  }

  /**
   * The runtime filters its own columns; an execution type becomes the workspace's triggers of that type, and an
   * idempotency key the job it started (none: an empty page), which only data-service knows.
   */
  /**
   * A bulk job over the runs a filter matches (docs/run-control.md), run in the background by compute-runtime. An
   * execution type is resolved here, once, into the workspace's triggers of that type.
   */
  async createBulk(actor: Actor, request: CreateBulkRunJob, idempotencyKey?: string): Promise<BulkRunJob> {
    if (idempotencyKey !== undefined) assertIdempotencyKey(idempotencyKey);
    const { executionType } = request.filter;
    const triggerIds =
      executionType === undefined ? undefined : await this.triggerIdsOfType(actor, executionType, ['body', 'filter']);
    return this.runtime.createBulk({
      workspace: actor.workspace,
      id: idempotencyKey ? bulkJobId(actor.workspace, idempotencyKey) : randomUUID(),
      name: request.name ?? `${request.action} runs`,
      action: request.action,
      filter: request.filter,
      ...(triggerIds ? { triggerIds } : {}),
      requestedBy: actor.subject,
    });
  }

  async getBulk(actor: Actor, id: string): Promise<BulkRunJob> {
    if (!UUID.test(id)) throw bulkNotFound(id);
    const job = await this.runtime.getBulk({ workspace: actor.workspace, id });
    if (!job) throw bulkNotFound(id);
    return job;
  }

  async cancelBulk(actor: Actor, id: string): Promise<BulkRunJob> {
    if (!UUID.test(id)) throw bulkNotFound(id);
    const job = await this.runtime.cancelBulk({ workspace: actor.workspace, id });
    if (!job) throw bulkNotFound(id);
    return job;
  }

  async list(actor: Actor, query: FunctionRunListQuery): Promise<FunctionRunList> {
    const { executionType, idempotencyKey, ...filters } = query;
    let jobId = filters.jobId;
    if (idempotencyKey !== undefined) {
      const started = await this.idempotencyKeys.jobOf(actor.workspace, idempotencyKey, IDEMPOTENCY_WINDOW_HOURS);
      if (!started || (jobId !== undefined && jobId !== started)) {
        return { runs: [], total: 0, page: query.page, limit: query.limit };
      }
      jobId = started;
    }
    const triggerIds =
      executionType === undefined ? undefined : await this.triggerIdsOfType(actor, executionType, ['query']);
    return this.runtime.list({ workspace: actor.workspace, ...filters, jobId, triggerIds });
  }

  /** The workspace's triggers of a type, for a filter by execution type (at most MAX_TRIGGERS_PER_TYPE_FILTER). */
  private async triggerIdsOfType(
    actor: Actor,
    executionType: NonNullable<FunctionRunListQuery['executionType']>,
    path: string[],
  ): Promise<string[]> {
    const triggerIds = await this.triggers.idsOfType(actor.workspace, executionType);
    if (triggerIds.length > MAX_TRIGGERS_PER_TYPE_FILTER) {
      throw new SignalboxError(
        'VALIDATION_ERROR',
        `${actor.workspace} has more than ${MAX_TRIGGERS_PER_TYPE_FILTER} ${executionType} triggers: filter by functionId or triggerId instead of executionType`,
        [{ path: [...path, 'executionType'], message: 'too many triggers of this type to filter by' }],
      );
    }
    return triggerIds;
  }

  stats(actor: Actor, query: FunctionRunStatsQuery): Promise<FunctionRunStats> {
    const since = query.since ?? new Date(Date.now() - DAY_MS).toISOString();
    return this.runtime.stats({ workspace: actor.workspace, functionIds: [...new Set(query.functionId)], since });
  }

  private async find(actor: Actor, jobId: string) {
    if (!UUID.test(jobId)) throw runNotFound(jobId);
    const found = await this.runtime.get({ workspace: actor.workspace, runId: jobId });
    if (!found) throw runNotFound(jobId);
    return found;
  }
}

/** Why a run cannot be retried, for the caller. */
function retryRefusal(jobId: string, reply: { status: string | null; why?: 'debounced' | 'stopping' }): string {
  if (reply.why === 'debounced') {
    return `run ${jobId} was replaced by a later run of its debounce key (its input is stale): retry that run instead`;
  }
  if (reply.why === 'stopping') {
    return `run ${jobId} was cancelled while running and its attempt has not stopped yet; retry it once it has (docs/run-control.md)`;
  }
  return `only a failed, timed-out or cancelled run can be retried; run ${jobId} is ${reply.status}`;
}
