import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import { SignalboxError } from '@signalbox/contracts';

import { IS_PUBLIC, REQUIRED_PERMISSION } from './auth.decorators';
import { JWT_STRATEGY } from './jwt.strategy';
import { canAccessWorkspace, hasPermission, type RequiredPermission } from './permissions';
import type { Principal } from './principal';

interface GuardedRequest {
  user?: Principal;
  params?: Record<string, string | undefined>;
}

/**
 * Global guard, deny by default: every route needs a valid token unless marked `@Public()`.
 * 401 for missing or invalid credentials; 403 for a valid caller without the workspace or permission.
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard(JWT_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const principal = request.user;
    if (!principal) throw new SignalboxError('UNAUTHORIZED', 'missing credentials');

    const workspace = request.params?.['workspace'];
    if (workspace !== undefined && !canAccessWorkspace(principal.workspaces, workspace)) {
      throw new SignalboxError('FORBIDDEN', `no access to workspace ${workspace}`);
    }
    const required = this.reflector.getAllAndOverride<RequiredPermission | undefined>(REQUIRED_PERMISSION, targets);
    if (required && !hasPermission(principal.permissions, required)) {
      throw new SignalboxError('FORBIDDEN', `missing permission ${required.resource}:${required.action}`);
    }
    return true;
  }

  override handleRequest<TUser = Principal>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error instanceof SignalboxError) throw error;
    if (error || !user) {
      const reason =
        info instanceof Error ? info.message : error instanceof Error ? error.message : 'invalid credentials';
      throw new SignalboxError('UNAUTHORIZED', reason === 'No auth token' ? 'missing bearer token' : reason);
    }
    return user;
  }
}
