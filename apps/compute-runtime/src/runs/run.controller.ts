import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type CancelRunReply,
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

import { RunService } from './run.service';

/** NATS request-reply adapter (queue group compute-runtime): one service call each. */
@Controller()
export class RunController {
  constructor(private readonly runs: RunService) {}

  @MessagePattern(Subjects.runtimeEnqueueRun)
  enqueue(@Payload() request: EnqueueRunRequest): Promise<EnqueueRunReply> {
    return this.runs.enqueue(request);
  }

  @MessagePattern(Subjects.runtimeGetRun)
  get(@Payload() request: GetRunRequest): Promise<RunWithLogs | null> {
    return this.runs.get(request);
  }

  @MessagePattern(Subjects.runtimeRetryRun)
  retry(@Payload() request: GetRunRequest): Promise<RetryRunReply> {
    return this.runs.retry(request);
  }

  @MessagePattern(Subjects.runtimeCancelRun)
  cancel(@Payload() request: GetRunRequest): Promise<CancelRunReply> {
    return this.runs.cancel(request);
  }

  @MessagePattern(Subjects.runtimeListRuns)
  list(@Payload() request: ListRunsRequest): Promise<FunctionRunList> {
    return this.runs.list(request);
  }

  @MessagePattern(Subjects.runtimeRunStats)
  stats(@Payload() request: RunStatsRequest): Promise<FunctionRunStats> {
    return this.runs.stats(request);
  }
}
