import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import {
  CreateFunctionTriggerSchema,
  type Deleted,
  type FunctionTrigger,
  type FunctionTriggerDraft,
  type FunctionTriggerDraftInput,
  type FunctionTriggerDraftList,
  type ListQuery,
  SignalboxError,
} from '@signalbox/contracts';
import { SecretSealer } from '@signalbox/crypto';
import { SchemaPipe } from '@signalbox/service-kit';

import type { Actor } from '../common/actor';
import { parseListQuery } from '../common/list-query';
import type { FunctionTriggerDraftEntity } from './function-trigger.entity';
import { toFunctionTriggerDraft } from './function-trigger.mapper';
import { DraftGoneError, FunctionTriggerRepository } from './function-trigger.repository';
import { FunctionTriggerService } from './function-trigger.service';
import { sealSecrets } from './trigger-secrets';

const draftNotFound = (id: string) => new SignalboxError('NOT_FOUND', `draft ${id} not found`);
const fullValidation = new SchemaPipe(CreateFunctionTriggerSchema);

/**
 * Drafts: loosely validated work in progress (shapes only, nothing required). Secrets are sealed at
 * once, bound to the draft's id, which the published trigger keeps.
 */
@Injectable()
export class FunctionTriggerDraftService {
  constructor(
    private readonly repository: FunctionTriggerRepository,
    private readonly triggers: FunctionTriggerService,
    private readonly sealer: SecretSealer,
  ) {}

  async create(actor: Actor, input: FunctionTriggerDraftInput): Promise<FunctionTriggerDraft> {
    const id = randomUUID();
    const now = new Date();
    const draft: FunctionTriggerDraftEntity = {
      id,
      workspaceSlug: actor.workspace,
      name: input.name ?? null,
      description: input.description ?? '',
      functionId: input.functionId ?? null,
      executionType: input.executionType ?? null,
      triggerMetadata: await this.seal(actor, id, input),
      createdBy: actor.subject,
      updatedBy: actor.subject,
      createdAt: now,
      updatedAt: now,
    };
    await this.repository.createDraft(draft);
    return toFunctionTriggerDraft(draft);
  }

  async get(actor: Actor, id: string): Promise<FunctionTriggerDraft> {
    const draft = await this.repository.findDraft(actor.workspace, id);
    if (!draft) throw draftNotFound(id);
    return toFunctionTriggerDraft(draft);
  }

  async list(actor: Actor, query: ListQuery): Promise<FunctionTriggerDraftList> {
    const list = parseListQuery(query, { search: ['name', 'description'], sort: ['name', 'createdAt', 'updatedAt'] });
    const [rows, total] = await this.repository.listDrafts(actor.workspace, list);
    return { drafts: rows.map(toFunctionTriggerDraft), total, page: list.page, limit: list.limit };
  }

  async update(actor: Actor, id: string, input: FunctionTriggerDraftInput): Promise<FunctionTriggerDraft> {
    const current = await this.repository.findDraft(actor.workspace, id);
    if (!current) throw draftNotFound(id);
    const merged = { ...current.triggerMetadata, ...(input.triggerMetadata ?? {}) };
    const next: FunctionTriggerDraftEntity = {
      ...current,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.functionId !== undefined ? { functionId: input.functionId } : {}),
      ...(input.executionType !== undefined ? { executionType: input.executionType } : {}),
      triggerMetadata: await this.seal(actor, id, { ...input, triggerMetadata: merged }),
      updatedBy: actor.subject,
      updatedAt: new Date(),
    };
    await this.repository.saveDraft(next);
    return toFunctionTriggerDraft(next);
  }

  async delete(actor: Actor, id: string): Promise<Deleted> {
    if (!(await this.repository.deleteDraft(actor.workspace, id))) throw draftNotFound(id);
    return { id, deleted: true };
  }

  /** Fully validates the draft, creates the trigger (same id) and consumes the draft, atomically. */
  async publish(actor: Actor, id: string): Promise<FunctionTrigger> {
    const draft = await this.repository.findDraft(actor.workspace, id);
    if (!draft) throw draftNotFound(id);
    const candidate = Object.fromEntries(
      Object.entries({
        name: draft.name ?? undefined,
        description: draft.description || undefined,
        functionId: draft.functionId ?? undefined,
        executionType: draft.executionType ?? undefined,
        triggerMetadata: draft.triggerMetadata,
      }).filter(([, value]) => value !== undefined),
    );
    const input = fullValidation.transform(candidate);
    try {
      return await this.triggers.create(actor, input, id);
    } catch (error) {
      if (error instanceof DraftGoneError) throw draftNotFound(id);
      throw error;
    }
  }

  private seal(actor: Actor, id: string, input: FunctionTriggerDraftInput): Promise<Record<string, unknown>> {
    return sealSecrets(input.triggerMetadata ?? {}, { workspace: actor.workspace, ownerId: id }, this.sealer);
  }
}
