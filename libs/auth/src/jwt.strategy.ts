import { createSecretKey } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';

import { AUTH_SETTINGS, type AuthSettings } from './auth.settings';
import { type Principal, principalFromClaims } from './principal';

export const JWT_STRATEGY = 'signalbox-jwt';

function strategyOptions(settings: AuthSettings): StrategyOptionsWithoutRequest {
  const common = {
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    algorithms: [...settings.algorithms],
    ignoreExpiration: false,
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audience ? { audience: settings.audience } : {}),
  };
  if (settings.jwksUri) {
    return {
      ...common,
      secretOrKeyProvider: passportJwtSecret({
        jwksUri: settings.jwksUri,
        cache: true,
        cacheMaxAge: 10 * 60_000,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
      }),
    };
  }
  if (!settings.secret) throw new Error('AuthSettings needs a secret or a jwksUri');
  // jsonwebtoken turns a string secret into a KeyObject on every verify (first trying, and failing, to
  // parse it as a public key): 20% of a GET's CPU. Build the key once. (passport-jwt's types say string | Buffer;
  // jsonwebtoken accepts a KeyObject.)
  const key = createSecretKey(Buffer.from(settings.secret, 'utf8'));
  return { ...common, secretOrKey: key as unknown as string };
}

/** passport-jwt, per api-contract.md: signature, allow-listed algorithms, `exp` required, `iss`/`aud` when configured. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(@Inject(AUTH_SETTINGS) settings: AuthSettings) {
    super(strategyOptions(settings));
  }

  validate(payload: Record<string, unknown>): Principal {
    return principalFromClaims(payload);
  }
}
