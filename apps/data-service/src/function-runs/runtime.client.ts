import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import {
  type EnqueueRunReply,
  type EnqueueRunRequest,
  type FunctionRunList,
  type GetRunRequest,
  type ListRunsRequest,
  type RunWithLogs,
  SignalboxError,
  Subjects,
} from '@signalbox/contracts';
import { firstValueFrom, timeout } from 'rxjs';

import { NATS_RPC } from '../rpc/rpc.constants';
import { RUNTIME_REQUEST_TIMEOUT_MS } from './function-runs.constants';

/**
 * compute-runtime owns the run record; data-service asks it over NATS request-reply. When it does not
 * answer, the caller gets 503 and nothing was accepted.
 */
@Injectable()
export class RuntimeClient {
  constructor(
    @Inject(NATS_RPC) private readonly rpc: ClientProxy,
    @Inject(RUNTIME_REQUEST_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  enqueue(request: EnqueueRunRequest): Promise<EnqueueRunReply> {
    return this.ask<EnqueueRunReply>(Subjects.runtimeEnqueueRun, request);
  }

  get(request: GetRunRequest): Promise<RunWithLogs | null> {
    return this.ask<RunWithLogs | null>(Subjects.runtimeGetRun, request);
  }

  list(request: ListRunsRequest): Promise<FunctionRunList> {
    return this.ask<FunctionRunList>(Subjects.runtimeListRuns, request);
  }

  private async ask<T>(subject: string, payload: unknown): Promise<T> {
    try {
      return await firstValueFrom(this.rpc.send<T>(subject, payload).pipe(timeout(this.timeoutMs)));
    } catch {
      throw new SignalboxError(
        'SERVICE_UNAVAILABLE',
        'the execution plane did not answer; nothing was started, retry shortly',
      );
    }
  }
}
