import { type DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

import { RATE_LIMITS, RateLimitInterceptor, type RateLimits } from './rate-limit.interceptor';
import { RateLimiter } from './rate-limiter';

/** Shared rate limits on every authenticated route (after the auth guard). */
@Module({})
export class RateLimitsModule {
  static register(limits: RateLimits): DynamicModule {
    return {
      module: RateLimitsModule,
      providers: [
        { provide: RATE_LIMITS, useValue: limits },
        RateLimiter,
        { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
      ],
    };
  }
}
