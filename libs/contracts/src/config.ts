import type { ExecutionType } from './rest/function-triggers';

/**
 * What data-service publishes for the execution plane after every committed change (KV buckets
 * `triggers` and `functions`, key `<workspace>.<id>`), and republishes from Postgres at start and after
 * every NATS reconnect. Secret params stay sealed here: only the execution plane opens them.
 */
export interface TriggerConfig {
  readonly id: string;
  readonly workspaceSlug: string;
  readonly name: string;
  readonly functionId: string;
  readonly executionType: ExecutionType;
  readonly triggerMetadata: Record<string, unknown>;
  readonly enabled: boolean;
  readonly isSystem: boolean;
  readonly version: number;
  readonly updatedAt: string;
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
