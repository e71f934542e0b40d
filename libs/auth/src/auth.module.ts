import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';

import { AuthGuard } from './auth.guard';
import { AUTH_SETTINGS, type AuthSettings } from './auth.settings';
import { JwtStrategy } from './jwt.strategy';

/** Installs the global deny-by-default guard with the JWT strategy. */
@Module({})
export class AuthModule {
  static forRoot(settings: AuthSettings): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule],
      providers: [
        { provide: AUTH_SETTINGS, useValue: settings },
        JwtStrategy,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
