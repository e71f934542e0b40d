import type { PermissionAction, PermissionResource } from '@signalbox/contracts';

export interface RequiredPermission {
  readonly resource: PermissionResource;
  readonly action: PermissionAction;
}

/**
 * `"*"` grants everything; `"<resource>:*"` everything on a resource; `write` implies `read` and
 * `execute` (api-contract.md: executing a trigger needs `:execute` or `:write`).
 */
export function hasPermission(granted: readonly string[], required: RequiredPermission): boolean {
  const { resource, action } = required;
  return granted.some(
    (permission) =>
      permission === '*' ||
      permission === `${resource}:*` ||
      permission === `${resource}:${action}` ||
      (permission === `${resource}:write` && action !== 'write'),
  );
}

export function canAccessWorkspace(workspaces: readonly string[], workspace: string): boolean {
  return workspaces.includes('*') || workspaces.includes(workspace);
}
