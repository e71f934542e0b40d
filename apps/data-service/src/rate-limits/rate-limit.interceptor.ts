import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Principal, REQUIRED_PERMISSION, type RequiredPermission } from '@signalbox/auth';
import { type PermissionAction, SignalboxError } from '@signalbox/contracts';
import type { FastifyReply } from 'fastify';
import { from, type Observable, switchMap } from 'rxjs';

import { RateLimiter } from './rate-limiter';

export const RATE_LIMITS = Symbol('RATE_LIMITS');
/** Requests per minute per caller (API key or token subject), by route class: the route's permission action. */
export type RateLimits = Readonly<Record<PermissionAction, number>>;

/**
 * Rate limits per API key and per token subject (seed 004), by route class: `read`, `write` or `execute`,
 * from the route's required permission. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset`; over the limit, 429 `RATE_LIMITED` with `Retry-After`. Runs after the auth guard.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(RATE_LIMITS) private readonly limits: RateLimits,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const required = this.reflector.getAllAndOverride<RequiredPermission | undefined>(REQUIRED_PERMISSION, [
      context.getHandler(),
      context.getClass(),
    ]);
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!required || !principal) return next.handle();
    const limit = this.limits[required.action];
    const key = `${principal.kind}:${principal.subject}:${required.action}`;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.limiter.hit(key, limit)).pipe(
      switchMap((decision) => {
        void reply.header('RateLimit-Limit', String(decision.limit));
        void reply.header('RateLimit-Remaining', String(decision.remaining));
        void reply.header('RateLimit-Reset', String(decision.resetSeconds));
        if (!decision.allowed) {
          void reply.header('Retry-After', String(decision.resetSeconds));
          throw new SignalboxError(
            'RATE_LIMITED',
            `more than ${limit} ${required.action} requests per minute; retry in ${decision.resetSeconds} s`,
          );
        }
        return next.handle();
      }),
    );
  }
}
