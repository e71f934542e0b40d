import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';

import { AUTH_SETTINGS, type AuthSettings } from './auth.settings';
import { type Principal, principalFromClaims } from './principal';

export const JWT_STRATEGY = 'signalbox-jwt';

/** The token passport-jwt verifies: the value after `Bearer` in the `Authorization` header (its own parser). */
export const bearerTokenOf: (request: unknown) => string | null = ExtractJwt.fromAuthHeaderAsBearerToken();

function strategyOptions(settings: AuthSettings): StrategyOptionsWithoutRequest {
  const common = {
    jwtFromRequest: bearerTokenOf,
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
  const keys = [settings.secret, ...(settings.previousSecrets ?? [])].map((secret) =>
    createSecretKey(Buffer.from(secret, 'utf8')),
  );
  if (keys.length === 1) return { ...common, secretOrKey: keys[0] as unknown as string };
  // During a rotation: the key whose signature the token carries, and passport-jwt verifies it as ever.
  return {
    ...common,
    secretOrKeyProvider: (_request: unknown, token: string, done: (error: null, key: string) => void) =>
      done(null, keyThatSigned(token, keys) as unknown as string),
  };
}

const HASHES: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/**
 * Of several HS* secrets, the one whose HMAC is the token's signature; the first (current) one when none is, so
 * that passport-jwt refuses the token as it would with one secret. Only the signature is compared here: the
 * claims, the algorithm allow-list and the expiry are checked by passport-jwt with the key returned.
 */
export function keyThatSigned(token: string, keys: readonly KeyObject[]): KeyObject {
  const [header = '', payload = '', signature = ''] = token.split('.');
  let hash: string | undefined;
  try {
    const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
    hash = typeof alg === 'string' ? HASHES[alg] : undefined;
  } catch {
    hash = undefined;
  }
  const given = Buffer.from(signature, 'base64url');
  if (hash) {
    for (const key of keys) {
      const expected = createHmac(hash, key).update(`${header}.${payload}`).digest();
      if (expected.length === given.length && timingSafeEqual(expected, given)) return key;
    }
  }
  return keys[0];
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
