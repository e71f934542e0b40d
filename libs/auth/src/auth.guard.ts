import { type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import { SignalboxError } from '@signalbox/contracts';

import { API_KEY_HEADER, ApiKeyVerifier } from './api-keys';
import { IS_PUBLIC, REQUIRED_PERMISSION } from './auth.decorators';
import { bearerTokenOf, JWT_STRATEGY } from './jwt.strategy';
import { canAccessWorkspace, hasPermission, type RequiredPermission } from './permissions';
import type { Principal } from './principal';
import { VerifiedTokens } from './verified-tokens';

interface GuardedRequest {
  user?: Principal;
  params?: Record<string, string | undefined>;
  headers?: Record<string, string | string[] | undefined>;
}

/**
 * Global guard, deny by default: every route needs a valid token (a bearer JWT, or an API key in `x-api-key`)
 * unless marked `@Public()`. 401 for missing or invalid credentials; 403 for a valid caller without the
 * workspace or permission. Both kinds of credential go through the same workspace and permission checks.
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard(JWT_STRATEGY) {
  private readonly verified = new VerifiedTokens();

  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly apiKeys?: ApiKeyVerifier,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const apiKey = request.headers?.[API_KEY_HEADER];
    if (typeof apiKey === 'string' && apiKey !== '') {
      const verified = this.apiKeys ? await this.apiKeys.verify(apiKey) : null;
      if (!verified) throw new SignalboxError('UNAUTHORIZED', 'invalid, revoked or expired API key');
      request.user = verified;
    } else {
      // The very token passport-jwt verifies (not the whole header, which can carry more after it).
      const token = bearerTokenOf(request);
      const known = token ? this.verified.get(token) : undefined;
      if (known) {
        request.user = known;
      } else {
        await super.canActivate(context);
        if (token && request.user) this.verified.remember(token, request.user);
      }
    }
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
