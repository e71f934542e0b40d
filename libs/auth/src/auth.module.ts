import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';

import { ApiKeyVerifier } from './api-keys';
import { AuthGuard } from './auth.guard';
import { AUTH_SETTINGS, type AuthSettings } from './auth.settings';
import { JwtStrategy } from './jwt.strategy';

/**
 * Installs the global deny-by-default guard with the JWT strategy, and API keys when the service that owns
 * them gives its module and the verifier that module exports.
 */
@Module({})
export class AuthModule {
  static forRoot(
    settings: AuthSettings,
    options: { apiKeys?: { module: Type | DynamicModule; verifier: Type<ApiKeyVerifier> } } = {},
  ): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule, ...(options.apiKeys ? [options.apiKeys.module] : [])],
      providers: [
        { provide: AUTH_SETTINGS, useValue: settings },
        JwtStrategy,
        ...(options.apiKeys ? [{ provide: ApiKeyVerifier, useExisting: options.apiKeys.verifier }] : []),
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
