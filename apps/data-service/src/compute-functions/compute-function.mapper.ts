import type { ComputeFunction, FunctionConfig } from '@signalbox/contracts';

import type { ComputeFunctionEntity } from './compute-function.entity';

/** The id of a function's system default trigger: derived, so it never needs a look-up. */
export const systemTriggerName = (functionId: string) => `default:${functionId}`;

export function toComputeFunction(entity: ComputeFunctionEntity, defaultTriggerId: string): ComputeFunction {
  return {
    id: entity.id,
    name: entity.name,
    description: entity.description,
    code: entity.code,
    timeoutMs: entity.timeoutMs,
    memoryMb: entity.memoryMb,
    version: entity.version,
    defaultTriggerId,
    workspaceSlug: entity.workspaceSlug,
    createdBy: entity.createdBy,
    updatedBy: entity.updatedBy,
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}

export function toFunctionConfig(entity: ComputeFunctionEntity): FunctionConfig {
  return {
    id: entity.id,
    workspaceSlug: entity.workspaceSlug,
    name: entity.name,
    code: entity.code,
    timeoutMs: entity.timeoutMs,
    memoryMb: entity.memoryMb,
    version: entity.version,
    updatedAt: entity.updatedAt.toISOString(),
  };
}
