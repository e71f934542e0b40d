import { Injectable } from '@nestjs/common';
import {
  type GetPollRequest,
  type GetScheduleRequest,
  type PollState,
  SignalboxError,
  Subjects,
  type TriggerSchedule,
} from '@signalbox/contracts';

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
    const schedule = await this.rpc.ask(
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

  /** `GET .../function-triggers/{id}/poll`: a polling trigger's cursor and failures, from scheduler-service. */
  async poll(actor: Actor, triggerId: string): Promise<PollState> {
    const trigger = await this.triggers.find(actor.workspace, triggerId);
    if (!trigger) throw triggerNotFound(triggerId);
    if (trigger.executionType !== 'polling') {
      throw new SignalboxError(
        'INVALID_STATUS',
        `only polling triggers have a cursor; ${trigger.name} is ${trigger.executionType}`,
      );
    }
    const request: GetPollRequest = { workspace: actor.workspace, triggerId };
    const state = await this.rpc.ask(Subjects.schedulerGetPoll, request, 'the scheduler did not answer; retry shortly');
    if (!state) {
      throw new SignalboxError(
        'SERVICE_UNAVAILABLE',
        'the scheduler has not picked up this trigger yet; retry shortly',
      );
    }
    return state;
  }
}
