import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { PermissionAction, PermissionResource } from '@signalbox/contracts';

import type { RequiredPermission } from './permissions';
import type { Principal } from './principal';

export const IS_PUBLIC = 'signalbox:public';
export const REQUIRED_PERMISSION = 'signalbox:permission';

/** The route needs no credentials (health, metrics, inbound webhooks with their own checks). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller needs this permission (and access to the route's `:workspace`). */
export const RequirePermission = (resource: PermissionResource, action: PermissionAction) =>
  SetMetadata(REQUIRED_PERMISSION, { resource, action } satisfies RequiredPermission);

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<{ user: Principal }>().user,
);
