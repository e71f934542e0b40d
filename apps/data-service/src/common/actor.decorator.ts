import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '@signalbox/auth';
import { SignalboxError, WORKSPACE_SLUG_PATTERN } from '@signalbox/contracts';

import type { Actor } from './actor';

const SLUG = new RegExp(WORKSPACE_SLUG_PATTERN);

/** The authenticated caller in the route's `:workspace` (access was checked by the global guard). */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<{ user: Principal; params: { workspace: string } }>();
  const workspace = request.params.workspace;
  if (!SLUG.test(workspace)) {
    throw new SignalboxError('NOT_FOUND', `workspace ${workspace} not found`);
  }
  return { workspace, subject: request.user.subject };
});
