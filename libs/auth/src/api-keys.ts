import type { Principal } from './principal';

/** The header an API key is sent in, on every route a JWT works on. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * Resolves an API key to its principal, or null when it is unknown, revoked or expired. The service that
 * owns the keys provides it (`AuthModule.forRoot(settings, { apiKeys })`); without one, API keys are refused.
 */
export abstract class ApiKeyVerifier {
  abstract verify(key: string): Promise<Principal | null>;
}
