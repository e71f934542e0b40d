import { Injectable } from '@nestjs/common';
import {
  type BulkRunJob,
  type BulkRunJobRequest,
  type CancelRunReply,
  type CreateBulkRunJobRequest,
  type EnqueueRunReply,
  type EnqueueRunRequest,
  type FunctionRunList,
  type FunctionRunStats,
  type GetRunRequest,
  type ListRunsRequest,
  type RetryRunReply,
  type RunStatsRequest,
  type RunWithLogs,
  Subjects,
} from '@signalbox/contracts';

import { RpcClient } from '../rpc/rpc.client';

const UNAVAILABLE =
  'the execution plane did not answer in time; retry shortly (with the same Idempotency-Key, the retry answers the one run this request may have started)';

/**
 * compute-runtime owns the run record; data-service asks it over NATS request-reply. When it does not
 * answer, the caller gets 503: nothing is known to be accepted, but an answer lost on the way back may hide a
 * queued run, which only the same Idempotency-Key finds again.
 */
@Injectable()
export class RuntimeClient {
  constructor(private readonly rpc: RpcClient) {}

  enqueue(request: EnqueueRunRequest): Promise<EnqueueRunReply> {
    return this.rpc.ask(Subjects.runtimeEnqueueRun, request, UNAVAILABLE);
  }

  get(request: GetRunRequest): Promise<RunWithLogs | null> {
    return this.rpc.ask(Subjects.runtimeGetRun, request, UNAVAILABLE);
  }

  retry(request: GetRunRequest): Promise<RetryRunReply> {
    return this.rpc.ask(Subjects.runtimeRetryRun, request, UNAVAILABLE);
  }

  cancel(request: GetRunRequest): Promise<CancelRunReply> {
    return this.rpc.ask(Subjects.runtimeCancelRun, request, UNAVAILABLE);
  }

  createBulk(request: CreateBulkRunJobRequest): Promise<BulkRunJob> {
    return this.rpc.ask(Subjects.runtimeCreateBulkJob, request, UNAVAILABLE);
  }

  getBulk(request: BulkRunJobRequest): Promise<BulkRunJob | null> {
    return this.rpc.ask(Subjects.runtimeGetBulkJob, request, UNAVAILABLE);
  }

  cancelBulk(request: BulkRunJobRequest): Promise<BulkRunJob | null> {
    return this.rpc.ask(Subjects.runtimeCancelBulkJob, request, UNAVAILABLE);
  }

  list(request: ListRunsRequest): Promise<FunctionRunList> {
    return this.rpc.ask(Subjects.runtimeListRuns, request, UNAVAILABLE);
  }

  stats(request: RunStatsRequest): Promise<FunctionRunStats> {
    return this.rpc.ask(Subjects.runtimeRunStats, request, UNAVAILABLE);
  }
}
