import { Injectable } from '@nestjs/common';
import {
  type FunctionRun,
  type FunctionRunList,
  type FunctionRunListQuery,
  type FunctionRunLogs,
  SignalboxError,
} from '@signalbox/contracts';

import type { Actor } from '../common/actor';
import { UUID } from '../common/list.repository';
import { RuntimeClient } from './runtime.client';

const runNotFound = (id: string) => new SignalboxError('NOT_FOUND', `run ${id} not found`);

@Injectable()
export class FunctionRunService {
  constructor(private readonly runtime: RuntimeClient) {}

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
      throw new SignalboxError(
        'INVALID_STATUS',
        `only a failed or timed-out run can be retried; run ${jobId} is ${reply.status}`,
      );
    }
    return reply;
  }

  list(actor: Actor, query: FunctionRunListQuery): Promise<FunctionRunList> {
    return this.runtime.list({ workspace: actor.workspace, ...query });
  }

  private async find(actor: Actor, jobId: string) {
    if (!UUID.test(jobId)) throw runNotFound(jobId);
    const found = await this.runtime.get({ workspace: actor.workspace, runId: jobId });
    if (!found) throw runNotFound(jobId);
    return found;
  }
}
