import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import {
  type ComputeFunction,
  type ComputeFunctionList,
  ComputeFunctionSearchFields,
  ComputeFunctionSortFields,
  type CreateComputeFunction,
  type Deleted,
  type ListQuery,
  SignalboxError,
  type UpdateComputeFunction,
  type VersionList,
} from '@signalbox/contracts';

import type { Actor } from '../common/actor';
import { parseListQuery } from '../common/list-query';
import { toVersionList } from '../common/versions';
import { ConfigPublisher } from '../config-sync/config-publisher.service';
import type { FunctionTriggerEntity } from '../function-triggers/function-trigger.entity';
import { toFunctionTrigger, toTriggerConfig } from '../function-triggers/function-trigger.mapper';
import { checkFunctionCode } from './code-check';
import { FUNCTION_LIMITS, type FunctionLimits } from './compute-function.constants';
import type { ComputeFunctionEntity } from './compute-function.entity';
import { systemTriggerName, toComputeFunction, toFunctionConfig } from './compute-function.mapper';
import { ComputeFunctionRepository } from './compute-function.repository';

const notFound = (id: string) => new SignalboxError('NOT_FOUND', `compute function ${id} not found`);

@Injectable()
export class ComputeFunctionService {
  constructor(
    private readonly functions: ComputeFunctionRepository,
    private readonly publisher: ConfigPublisher,
    @Inject(FUNCTION_LIMITS) private readonly limits: FunctionLimits,
  ) {}

  async create(actor: Actor, input: CreateComputeFunction): Promise<ComputeFunction> {
    checkFunctionCode(input.code, this.limits.maxCodeBytes);
    const now = new Date();
    const fn: ComputeFunctionEntity = {
      id: randomUUID(),
      workspaceSlug: actor.workspace,
      name: input.name,
      description: input.description ?? '',
      code: input.code,
      timeoutMs: input.timeoutMs ?? this.limits.defaultTimeoutMs,
      memoryMb: input.memoryMb ?? this.limits.defaultMemoryMb,
      version: 1,
      createdBy: actor.subject,
      updatedBy: actor.subject,
      createdAt: now,
      updatedAt: now,
    };
    const systemTrigger: FunctionTriggerEntity = {
      id: randomUUID(),
      workspaceSlug: actor.workspace,
      name: systemTriggerName(fn.id),
      description: `System default on-demand trigger of ${fn.name}`,
      functionId: fn.id,
      executionType: 'on-demand',
      triggerMetadata: {},
      enabled: true,
      isSystem: true,
      version: 1,
      createdBy: actor.subject,
      updatedBy: actor.subject,
      createdAt: now,
      updatedAt: now,
    };
    this.publisher.assertPublishable('function', toFunctionConfig(fn), 'code');
    const view = toComputeFunction(fn, systemTrigger.id);
    await this.functions.create(fn, { change: 'created', snapshot: { ...view } }, systemTrigger, {
      change: 'created',
      snapshot: { ...toFunctionTrigger(systemTrigger) },
    });
    await this.publisher.publishFunction(toFunctionConfig(fn));
    await this.publisher.publishTrigger(toTriggerConfig(systemTrigger));
    return view;
  }

  async get(actor: Actor, id: string): Promise<ComputeFunction> {
    const fn = await this.functions.find(actor.workspace, id);
    if (!fn) throw notFound(id);
    return this.view(actor, [fn]).then(([view]) => view);
  }

  async list(actor: Actor, query: ListQuery): Promise<ComputeFunctionList> {
    const list = parseListQuery(query, { search: ComputeFunctionSearchFields, sort: ComputeFunctionSortFields });
    const [rows, total] = await this.functions.list(actor.workspace, list);
    return { functions: await this.view(actor, rows), total, page: list.page, limit: list.limit };
  }

  async update(actor: Actor, id: string, input: UpdateComputeFunction): Promise<ComputeFunction> {
    if (input.code !== undefined) checkFunctionCode(input.code, this.limits.maxCodeBytes);
    const updated = await this.functions.update(actor.workspace, id, (current) => {
      const next: ComputeFunctionEntity = {
        ...current,
        ...definedOnly(input),
        version: current.version + 1,
        updatedBy: actor.subject,
        updatedAt: new Date(),
      };
      this.publisher.assertPublishable('function', toFunctionConfig(next), 'code');
      return { next, version: { change: 'updated', snapshot: { ...toComputeFunction(next, '') } } };
    });
    if (!updated) throw notFound(id);
    await this.publisher.publishFunction(toFunctionConfig(updated));
    return this.get(actor, id);
  }

  async delete(actor: Actor, id: string): Promise<Deleted> {
    const systemTriggerId = (await this.functions.systemTriggerIds(actor.workspace, [id])).get(id);
    const { deleted, usedBy } = await this.functions.delete(actor.workspace, id);
    if (usedBy.length > 0) {
      throw new SignalboxError(
        'CONFLICT',
        `compute function ${id} is used by triggers: ${usedBy.join(', ')}; delete them first`,
        usedBy.map((name) => ({ path: ['triggers', name], message: `trigger ${name} uses this function` })),
      );
    }
    if (!deleted) throw notFound(id);
    await this.publisher.removeFunction(actor.workspace, id);
    if (systemTriggerId) await this.publisher.removeTrigger(actor.workspace, systemTriggerId);
    return { id, deleted: true };
  }

  async versions(actor: Actor, id: string): Promise<VersionList> {
    if (!(await this.functions.find(actor.workspace, id))) throw notFound(id);
    return toVersionList(await this.functions.versions(actor.workspace, id));
  }

  private async view(actor: Actor, rows: ComputeFunctionEntity[]): Promise<ComputeFunction[]> {
    const defaults = await this.functions.systemTriggerIds(
      actor.workspace,
      rows.map((row) => row.id),
    );
    return rows.map((row) => toComputeFunction(row, defaults.get(row.id) ?? ''));
  }
}

function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
