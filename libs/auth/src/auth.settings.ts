export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512';

export interface AuthSettings {
  /** HS* shared secret. Exactly one of `secret` and `jwksUri` is set. */
  readonly secret?: string;
  /** Earlier HS* secrets still accepted (not used to sign), so a rotation needs no flag day. */
  readonly previousSecrets?: readonly string[];
  /** RS256/ES256 issuers: keys fetched (and cached) from this JWKS endpoint. */
  readonly jwksUri?: string;
  /** The only algorithms accepted; a token signed otherwise is refused (no `none`, no key confusion). */
  readonly algorithms: readonly JwtAlgorithm[];
  readonly issuer?: string;
  readonly audience?: string;
}

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

/**
 * Used only when NODE_ENV is not production and no JWT_SECRET is configured, with a loud warning.
 * Production refuses to start without a real secret or JWKS URI.
 */
export const DEVELOPMENT_JWT_SECRET = 'signalbox-development-secret-do-not-use-in-production';
