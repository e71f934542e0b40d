import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import {
  type CreateFunctionTrigger,
  type Deleted,
  type ExecuteResponse,
  type ExecutionType,
  type FunctionTrigger,
  type FunctionTriggerList,
  FunctionTriggerSearchFields,
  FunctionTriggerSortFields,
  type ListQuery,
  SignalboxError,
  type UpdateFunctionTrigger,
  type VersionList,
} from '@signalbox/contracts';
import { SecretSealer } from '@signalbox/crypto';
import { RunQuota } from '@signalbox/messaging';

import type { Actor } from '../common/actor';
import { parseListQuery } from '../common/list-query';
import { toVersionList } from '../common/versions';
import { ComputeFunctionRepository } from '../compute-functions/compute-function.repository';
import { ConfigPublisher } from '../config-sync/config-publisher.service';
import { RuntimeClient } from '../function-runs/runtime.client';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { fromTemplate } from '../providers/provider-catalog';
import { WORKSPACE_QUOTAS, type WorkspaceQuotas } from '../quotas/quotas.module';
import type { FunctionTriggerEntity } from './function-trigger.entity';
import { toFunctionTrigger, toTriggerConfig } from './function-trigger.mapper';
import { FunctionTriggerRepository } from './function-trigger.repository';
import { checkInput } from './input-schema.validator';
import { validateTriggerMetadata } from './trigger-metadata.validator';
import { sealSecrets } from './trigger-secrets';

export const triggerNotFound = (id: string) => new SignalboxError('NOT_FOUND', `trigger ${id} not found`);

function refuseSystem(trigger: FunctionTriggerEntity, action: string): void {
  if (trigger.isSystem) {
    throw new SignalboxError('CONFLICT', `the system default trigger cannot be ${action}`);
  }
}

@Injectable()
export class FunctionTriggerService {
  constructor(
    private readonly triggers: FunctionTriggerRepository,
    private readonly functions: ComputeFunctionRepository,
    private readonly publisher: ConfigPublisher,
    private readonly sealer: SecretSealer,
    private readonly runtime: RuntimeClient,
    private readonly idempotency: IdempotencyService,
    private readonly runQuota: RunQuota,
    @Inject(WORKSPACE_QUOTAS) private readonly quotas: WorkspaceQuotas,
  ) {}

  /** Creates a trigger; `fromDraftId` publishes a draft (the trigger keeps the draft's id, see docs/api.md). */
  async create(actor: Actor, body: CreateFunctionTrigger, fromDraftId?: string): Promise<FunctionTrigger> {
    const input = withProviderTemplate(body);
    const metadata = input.triggerMetadata;
    validateTriggerMetadata(input.executionType, metadata);
    if (!(await this.functions.exists(actor.workspace, input.functionId))) {
      throw new SignalboxError(
        'VALIDATION_ERROR',
        `functionId ${input.functionId} is not a compute function of this workspace`,
        [{ path: ['functionId'], message: 'no such compute function in this workspace' }],
      );
    }
    if (input.executionType === 'scheduled' || input.executionType === 'polling') {
      const schedules = await this.triggers.countSchedules(actor.workspace);
      if (schedules >= this.quotas.schedules) {
        throw new SignalboxError(
          'QUOTA_EXCEEDED',
          `workspace ${actor.workspace} has ${schedules} scheduled and polling triggers, its limit (SCHEDULES_PER_WORKSPACE); delete one first`,
        );
      }
    }
    const id = fromDraftId ?? randomUUID();
    const now = new Date();
    const trigger: FunctionTriggerEntity = {
      id,
      workspaceSlug: actor.workspace,
      name: input.name,
      description: input.description ?? '',
      functionId: input.functionId,
      executionType: input.executionType,
      triggerMetadata: await sealSecrets(metadata, { workspace: actor.workspace, ownerId: id }, this.sealer),
      enabled: input.enabled ?? true,
      isSystem: false,
      version: 1,
      createdBy: actor.subject,
      updatedBy: actor.subject,
      createdAt: now,
      updatedAt: now,
    };
    this.publisher.assertPublishable('trigger', toTriggerConfig(trigger), 'triggerMetadata');
    const view = toFunctionTrigger(trigger);
    await this.triggers.create(
      trigger,
      { change: fromDraftId ? 'published' : 'created', snapshot: { ...view } },
      fromDraftId,
    );
    await this.publisher.publishTrigger(toTriggerConfig(trigger));
    return view;
  }

  async get(actor: Actor, id: string): Promise<FunctionTrigger> {
    const trigger = await this.triggers.find(actor.workspace, id);
    if (!trigger) throw triggerNotFound(id);
    return toFunctionTrigger(trigger);
  }

  async list(
    actor: Actor,
    query: ListQuery & { functionId?: string; executionType?: string },
  ): Promise<FunctionTriggerList> {
    const { functionId, executionType, ...rest } = query;
    const list = parseListQuery(rest, { search: FunctionTriggerSearchFields, sort: FunctionTriggerSortFields });
    const [rows, total] = await this.triggers.list(actor.workspace, list, { functionId, executionType });
    return { triggers: rows.map(toFunctionTrigger), total, page: list.page, limit: list.limit };
  }

  /** Partial update: given fields replace, `triggerMetadata` keys merge one level deep; the whole result is validated. */
  async update(actor: Actor, id: string, input: UpdateFunctionTrigger): Promise<FunctionTrigger> {
    const updated = await this.triggers.update(actor.workspace, id, async (current) => {
      refuseSystem(current, 'updated');
      if (input.executionType !== undefined && input.executionType !== current.executionType) {
        throw new SignalboxError(
          'VALIDATION_ERROR',
          'executionType cannot be changed; delete the trigger and create a new one',
          [{ path: ['executionType'], message: `must stay ${current.executionType}` }],
        );
      }
      const metadata = input.triggerMetadata
        ? { ...current.triggerMetadata, ...input.triggerMetadata }
        : current.triggerMetadata;
      validateTriggerMetadata(current.executionType, metadata);
      const next: FunctionTriggerEntity = {
        ...current,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        triggerMetadata: await sealSecrets(metadata, { workspace: actor.workspace, ownerId: id }, this.sealer),
        version: current.version + 1,
        updatedBy: actor.subject,
        updatedAt: new Date(),
      };
      this.publisher.assertPublishable('trigger', toTriggerConfig(next), 'triggerMetadata');
      return { next, version: { change: 'updated', snapshot: { ...toFunctionTrigger(next) } } };
    });
    if (!updated) throw triggerNotFound(id);
    await this.publisher.publishTrigger(toTriggerConfig(updated));
    return toFunctionTrigger(updated);
  }

  async setEnabled(actor: Actor, id: string, enabled: boolean): Promise<FunctionTrigger> {
    const updated = await this.triggers.update(actor.workspace, id, (current) => {
      refuseSystem(current, enabled ? 'enabled' : 'disabled');
      const next: FunctionTriggerEntity = {
        ...current,
        enabled,
        version: current.version + 1,
        updatedBy: actor.subject,
        updatedAt: new Date(),
      };
      return Promise.resolve({
        next,
        version: { change: enabled ? 'enabled' : 'disabled', snapshot: { ...toFunctionTrigger(next) } },
      });
    });
    if (!updated) throw triggerNotFound(id);
    await this.publisher.publishTrigger(toTriggerConfig(updated));
    return toFunctionTrigger(updated);
  }

  async delete(actor: Actor, id: string): Promise<Deleted> {
    const deleted = await this.triggers.delete(actor.workspace, id, (current) => refuseSystem(current, 'deleted'));
    if (!deleted) throw triggerNotFound(id);
    await this.publisher.removeTrigger(actor.workspace, id);
    return { id, deleted: true };
  }

  /**
   * Seed 000's execute: the whole body becomes `executionParams`. Only enabled on-demand triggers run
   * this way (409 INVALID_STATUS otherwise); a body that breaks the trigger's `inputSchema` answers 400.
   */
  async execute(
    actor: Actor,
    id: string,
    body: unknown,
    idempotencyKey?: string,
  ): Promise<{ response: ExecuteResponse; replayed: boolean }> {
    const trigger = await this.triggers.find(actor.workspace, id);
    if (!trigger) throw triggerNotFound(id);
    if (trigger.executionType !== 'on-demand') {
      throw new SignalboxError(
        'INVALID_STATUS',
        `Only on-demand triggers can be executed; ${trigger.name} is ${trigger.executionType}`,
      );
    }
    if (!trigger.enabled) throw new SignalboxError('INVALID_STATUS', `trigger ${trigger.name} is disabled`);
    const inputSchema = trigger.triggerMetadata['inputSchema'];
    if (inputSchema && typeof inputSchema === 'object') {
      checkInput(`${actor.workspace}:${trigger.id}`, trigger.version, inputSchema as Record<string, unknown>, body);
    }
    const executionParams = body ?? {};
    const start = await this.idempotency.start(actor.workspace, idempotencyKey, {
      triggerId: trigger.id,
      executionParams,
    });
    if (!start.replayed) {
      try {
        await this.runQuota.assertRoom(actor.workspace);
      } catch (error) {
        await this.idempotency.release(actor.workspace, idempotencyKey, start.jobId).catch(() => undefined);
        throw error;
      }
    }
    // The key stays with its job even when the runtime's answer is lost (a timeout does not say the run was
    // not queued): the caller's retry with the same key asks for that same run, which the runtime records
    // only if it has not (and whose message its outbox guarantees if it has). Freeing the key here used to
    // start a second run beside the first.
    const reply = await this.runtime.enqueue({
      runId: start.jobId,
      workspace: actor.workspace,
      triggerId: trigger.id,
      functionId: trigger.functionId,
      executionParams,
      requestedBy: actor.subject,
    });
    return { response: { jobId: reply.jobId, status: 'queued' }, replayed: start.replayed };
  }

  async versions(actor: Actor, id: string): Promise<VersionList> {
    if (!(await this.triggers.find(actor.workspace, id))) throw triggerNotFound(id);
    return toVersionList(await this.triggers.versions(actor.workspace, id));
  }
}

/**
 * The execution type and metadata to create: as given, or filled from a provider template
 * (`providerId` + `providerTriggerId`, issue 9), which makes a webhook trigger.
 */
function withProviderTemplate(
  body: CreateFunctionTrigger,
): CreateFunctionTrigger & { executionType: ExecutionType; triggerMetadata: Record<string, unknown> } {
  const { providerId, providerTriggerId, ...rest } = body;
  if (providerId === undefined && providerTriggerId === undefined) {
    if (!rest.executionType) {
      throw new SignalboxError('VALIDATION_ERROR', 'executionType is required (or providerId and providerTriggerId)', [
        { path: ['executionType'], message: 'executionType is required' },
      ]);
    }
    return { ...rest, executionType: rest.executionType, triggerMetadata: rest.triggerMetadata ?? {} };
  }
  if (!providerId || !providerTriggerId) {
    throw new SignalboxError('VALIDATION_ERROR', 'providerId and providerTriggerId go together', [
      { path: [providerId ? 'providerTriggerId' : 'providerId'], message: 'required with the other' },
    ]);
  }
  if (rest.executionType !== undefined && rest.executionType !== 'webhook') {
    throw new SignalboxError('VALIDATION_ERROR', 'a provider template makes a webhook trigger', [
      { path: ['executionType'], message: 'must be webhook (or left out) with a provider template' },
    ]);
  }
  try {
    return { ...rest, ...fromTemplate(providerId, providerTriggerId, rest.triggerMetadata ?? {}) };
  } catch (error) {
    if (error instanceof SignalboxError && error.code === 'NOT_FOUND') {
      throw new SignalboxError('VALIDATION_ERROR', error.message, [
        { path: ['providerTriggerId'], message: error.message },
      ]);
    }
    throw error;
  }
}
