import { Injectable } from '@nestjs/common';
import {
  type ListTestSamplesRequest,
  SignalboxError,
  Subjects,
  type WebhookTestSampleList,
} from '@signalbox/contracts';

import type { Actor } from '../common/actor';
import { RpcClient } from '../rpc/rpc.client';
import { FunctionTriggerRepository } from './function-trigger.repository';
import { triggerNotFound } from './function-trigger.service';

/**
 * `GET .../function-triggers/{id}/test-samples`: the latest requests a webhook trigger received. webhook-gateway
 * keeps them; this service checks the trigger (workspace, type) and asks it over NATS request-reply.
 */
@Injectable()
export class TriggerTestSamplesService {
  constructor(
    private readonly triggers: FunctionTriggerRepository,
    private readonly rpc: RpcClient,
  ) {}

  async list(actor: Actor, triggerId: string): Promise<WebhookTestSampleList> {
    const trigger = await this.triggers.find(actor.workspace, triggerId);
    if (!trigger) throw triggerNotFound(triggerId);
    if (trigger.executionType !== 'webhook') {
      throw new SignalboxError(
        'INVALID_STATUS',
        `only webhook triggers keep test samples; ${trigger.name} is ${trigger.executionType}`,
      );
    }
    const request: ListTestSamplesRequest = { workspace: actor.workspace, triggerId };
    return this.rpc.ask(Subjects.gatewayTestSamples, request, 'the webhook gateway did not answer; retry shortly');
  }
}
