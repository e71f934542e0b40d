import type { FunctionTrigger, FunctionTriggerDraft, TriggerConfig } from '@signalbox/contracts';

import type { FunctionTriggerDraftEntity, FunctionTriggerEntity } from './function-trigger.entity';

/** Seed 000's trigger JSON plus `enabled`, `version`, `isSystem` (api-contract.md). */
export function toFunctionTrigger(entity: FunctionTriggerEntity): FunctionTrigger {
  return {
    id: entity.id,
    name: entity.name,
    description: entity.description,
    functionId: entity.functionId,
    executionType: entity.executionType,
    triggerMetadata: entity.triggerMetadata,
    workspaceSlug: entity.workspaceSlug,
    createdBy: entity.createdBy,
    updatedBy: entity.updatedBy,
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
    enabled: entity.enabled,
    version: entity.version,
    isSystem: entity.isSystem,
  };
}

/**
 * The config published for the execution plane. The metadata is stored only after the trigger validator
 * accepted it for its execution type, which is what the config's type says of it.
 */
export function toTriggerConfig(entity: FunctionTriggerEntity): TriggerConfig {
  return {
    id: entity.id,
    workspaceSlug: entity.workspaceSlug,
    name: entity.name,
    functionId: entity.functionId,
    executionType: entity.executionType,
    triggerMetadata: entity.triggerMetadata,
    enabled: entity.enabled,
    isSystem: entity.isSystem,
    version: entity.version,
    updatedAt: entity.updatedAt.toISOString(),
  } as TriggerConfig;
}

export function toFunctionTriggerDraft(entity: FunctionTriggerDraftEntity): FunctionTriggerDraft {
  return {
    id: entity.id,
    name: entity.name,
    description: entity.description,
    functionId: entity.functionId,
    executionType: entity.executionType,
    triggerMetadata: entity.triggerMetadata,
    workspaceSlug: entity.workspaceSlug,
    createdBy: entity.createdBy,
    updatedBy: entity.updatedBy,
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}
