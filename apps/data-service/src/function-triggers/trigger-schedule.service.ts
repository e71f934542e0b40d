import { Injectable } from '@nestjs/common';
import { type GetScheduleRequest, SignalboxError, Subjects, type TriggerSchedule } from '@signalbox/contracts';

import type { Actor } from '../common/actor';
import { RpcClient } from '../rpc/rpc.client';
import { FunctionTriggerRepository } from './function-trigger.repository';
import { triggerNotFound } from './function-trigger.service';
/**
 * `GET .../function-triggers/{id}/schedule`: the schedule state belongs to scheduler-service; this service
 * checks the trigger (workspace, type) and asks it over NATS request-reply.
 */
@Injectable()
export class TriggerScheduleService {
  constructor(
    private readonly triggers: FunctionTriggerRepository,
    private readonly rpc: RpcClient,
  ) {}

  async get(actor: Actor, triggerId: string): Promise<TriggerSchedule> {
    const trigger = await this.triggers.find(actor.workspace, triggerId);
    if (!trigger) throw triggerNotFound(triggerId);
    if (trigger.executionType !== 'scheduled') {
      throw new SignalboxError(
        'INVALID_STATUS',
        `only scheduled triggers have a schedule; ${trigger.name} is ${trigger.executionType}`,
      );
    }
    const request: GetScheduleRequest = { workspace: actor.workspace, triggerId, minVersion: trigger.version };
    const schedule = await this.rpc.ask<TriggerSchedule | null>(
      Subjects.schedulerGetSchedule,
      request,
      'the scheduler did not answer; retry shortly',
    );
    if (!schedule) {
      throw new SignalboxError(
        'SERVICE_UNAVAILABLE',
        'the scheduler has not picked up this trigger yet; retry shortly',
      );
    }
    return schedule;
  }
}
