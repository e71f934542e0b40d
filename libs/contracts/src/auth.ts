/** Resources of the permission strings `"<resource>:<action>"` (api-contract.md). */
export const PermissionResources = [
  'function-triggers',
  'compute-functions',
  'function-runs',
  'webhooks',
  'api-keys',
  'events',
  'settings',
] as const;
export type PermissionResource = (typeof PermissionResources)[number];

export const PermissionActions = ['read', 'write', 'execute'] as const;
export type PermissionAction = (typeof PermissionActions)[number];

export type Permission = `${PermissionResource}:${PermissionAction}` | '*';

/** Claims Signalbox reads from a JWT (or an API key's scopes). */
export interface SignalboxClaims {
  readonly sub: string;
  /** Workspace slugs the caller may act in, or `["*"]`. */
  readonly workspaces: readonly string[];
  readonly permissions: readonly string[];
}
