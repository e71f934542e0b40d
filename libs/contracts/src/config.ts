import type { ExecutionType, TriggerMetadataOf } from './rest/trigger-metadata';

export interface TriggerConfigOf<T extends ExecutionType> {
  readonly id: string;
  readonly workspaceSlug: string;
  readonly name: string;
  readonly functionId: string;
  readonly executionType: T;
  /** As `TriggerMetadataSchemas[executionType]` defines it: data-service stores nothing else. */
  readonly triggerMetadata: TriggerMetadataOf<T>;
  readonly enabled: boolean;
  readonly isSystem: boolean;
  readonly version: number;
  readonly updatedAt: string;
}

/**
 * What data-service publishes for the execution plane after every committed change (KV buckets
 * `triggers` and `functions`, key `<workspace>.<id>`), and republishes from Postgres at start and after
 * every NATS reconnect. Secret params stay sealed here: only the execution plane opens them.
 *
 * One variant per execution type: checking `executionType` gives `triggerMetadata` its type's fields.
 */
export type TriggerConfig = { [T in ExecutionType]: TriggerConfigOf<T> }[ExecutionType];

/** A trigger config of one of `types`, or null (another type, or none). */
export function configOfType<T extends ExecutionType>(
  config: TriggerConfig | null | undefined,
  ...types: T[]
): TriggerConfigOf<T> | null {
  return config && (types as ExecutionType[]).includes(config.executionType) ? (config as TriggerConfigOf<T>) : null;
}

export interface FunctionConfig {
  readonly id: string;
  readonly workspaceSlug: string;
  readonly name: string;
  readonly code: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly version: number;
  readonly updatedAt: string;
}

/** KV key of a trigger or function config. Workspace slugs and UUIDs are valid KV key characters. */
export const configKey = (workspaceSlug: string, id: string) => `${workspaceSlug}.${id}`;
